"""The case runner: one case, one box, one verdict — computed here, from what was observed.

Lifecycle of :meth:`CaseRunner.run` (every wait has the case's deadline)::

    make channels ─► zygote forks the box ─► init and actors say hello ─► actors load
    the module ─► steps run in order ─► (deadline? snapshot the kernel for the diagnosis)
    ─► kill the box's pid 1 ─► zygote confirms the box is gone ─► audit ─► CaseResult

The runner is the only place that decides an outcome. Student faults (``StepFailed``,
``CaseTimeout``) and grader faults (``HarnessError``, ``ZygoteError``, anything unexpected)
travel on different paths, and only the first kind costs points.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from conformance.grading.result import CaseResult, Outcome
from conformance.runner import diagnosis, kernel, protocol
from conformance.runner.session import BoxSession, CaseTimeout, HarnessError, Leaked, StepFailed
from conformance.runner.steps import CaseExecution
from conformance.sandbox import audit, cgroups, preflight
from conformance.sandbox.box import ActorLaunch, BoxChannels, BoxRequest
from conformance.sandbox.limits import Limits
from conformance.sandbox.preflight import Isolation
from conformance.sandbox.zygote import Zygote, ZygoteError
from conformance.spec.model import Case, Spec, Variant

#: Seconds allowed for the box to vanish after its init was killed.
_TEARDOWN_DEADLINE = 10.0
#: Seconds added to a case's deadline for loading modules (imports can be slow).
_STARTUP_ALLOWANCE = 5.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Submission:
    """An implementation to grade: a folder holding the interface's module files."""

    name: str
    path: Path


class CaseRunner:
    """Runs cases for one pytest worker, through one zygote it starts on first use."""

    def __init__(self, *, isolation: Isolation, reference: Path, limits: Limits | None = None,
                 timeout_multiplier: float = 1.0, seed: int | None = None, hidden: tuple[str, ...] = ()) -> None:
        self.isolation = isolation
        self.reference = reference
        self.limits = limits or Limits()
        self.timeout_multiplier = timeout_multiplier
        self.seed = seed
        #: Host folders no box may see: the engine, specs, reference, results, the cache.
        engine = (str(ENGINE_ROOT),) if _is_checkout(ENGINE_ROOT) else ()
        self.hidden = hideable((*engine, str(reference), *hidden))
        self._zygote: Zygote | None = None
        if isolation.cgroups:
            cgroups.sweep()  # what a killed grader may have left

    @property
    def zygote_pid(self) -> int | None:
        """The pid of this runner's zygote, once started (tests account for it)."""
        return self._zygote.pid if self._zygote is not None else None

    def close(self) -> None:
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None

    def run(self, spec: Spec, case: Case, variant: Variant | None, submission: Submission) -> CaseResult:
        """Run one case in a fresh box and return its result (never raises for the student)."""
        started = time.monotonic()
        base = self._base_result(spec, case, variant, submission)
        missing = sorted(set(case.requires) - preflight.capabilities(self.isolation))
        if missing:
            # Not the student's doing and not a grader failure: the case cannot run here,
            # and it counts for nothing (weight 0) rather than against anyone.
            return replace(base, outcome=Outcome.SKIPPED, weight=0.0,
                           message=f"not run: this grading host lacks {', '.join(missing)}")
        try:
            result = self._run_in_box(spec, case, variant, submission, base)
        except (HarnessError, ZygoteError, OSError) as exc:
            self.close()  # a broken zygote is replaced for the next case
            result = replace(base, outcome=Outcome.HARNESS_ERROR, message=f"grader error: {exc}")
        return replace(result, duration=round(time.monotonic() - started, 4))

    def _base_result(self, spec: Spec, case: Case, variant: Variant | None, submission: Submission) -> CaseResult:
        return CaseResult(
            item_id=f"{case.id}[{variant.name}]" if variant else case.id, case_id=case.id, spec=spec.name,
            spec_version=spec.version, title=case.title, submission=submission.name, outcome=Outcome.PASS,
            weight=case.weight, visibility=case.visibility, hint=case.hint, references=case.references,
            location=str(case.location), isolation=self.isolation.describe(), tags=case.tags, depends_on=case.depends_on,
        )

    # -- one box --------------------------------------------------------------------------

    def _run_in_box(self, spec: Spec, case: Case, variant: Variant | None, submission: Submission,
                    base: CaseResult) -> CaseResult:
        timeout = case.timeout * self.timeout_multiplier
        session = BoxSession(deadline=time.monotonic() + timeout + _STARTUP_ALLOWANCE,
                             output_limit=self.limits.output_bytes, isolated=self.isolation.full)
        workdir = "/tmp" if self.isolation.full else tempfile.mkdtemp(prefix="conformance-box-")
        params = {**(dict(variant.params) if variant else {}), "box": self._box_values(workdir)}
        execution = CaseExecution(case, params, session, spec.interface.module, seed=self.seed)
        supervisor = None
        with contextlib.nullcontext() if self.isolation.full else audit.degraded_lock():
            sysv_before = None if self.isolation.full else audit.sysv_snapshot()
            files_before = None if self.isolation.full else audit.shared_entries()
            try:
                supervisor = self._start_box(spec, case, submission, session, workdir)
                result = self._execute(case, session, execution, base, timeout)
            finally:
                leftovers = self._teardown(session, supervisor, workdir)
                if sysv_before is not None and files_before is not None:
                    audit.remove_new_sysv(sysv_before)
                    audit.remove_new_special_files(files_before)
        result = replace(result, output=session.output.decode("utf-8", "replace")[-4000:],
                         transcript=tuple(execution.transcript))
        if leftovers:
            return replace(result, outcome=Outcome.HARNESS_ERROR,
                           message=f"isolation failure, the box was not fully removed: {leftovers}")
        return result

    def _box_values(self, workdir: str) -> dict[str, Any]:
        """Per-case values a spec can pass to the implementation as ``$box.key`` etc.

        With full isolation any values would do (each box has its own namespaces); in
        degraded isolation they are what keeps parallel cases apart, so they are unique:
        a random SysV key, a port the host has free right now, a private directory.
        """
        port = 40000
        if not self.isolation.full:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        return {"key": int.from_bytes(os.urandom(4), "big") & 0x3FFFFFFF | 0x1000, "port": port, "dir": workdir}

    def _start_box(self, spec: Spec, case: Case, submission: Submission, session: BoxSession, workdir: str) -> int:
        if self._zygote is None:
            self._zygote = Zygote()
        init_ours, init_theirs = protocol.channel_pair()
        output_ours, output_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        session.attach_init(init_ours)
        session.attach_output(output_ours)
        launches, actor_fds = [], []
        for actor in case.actors:
            if actor.spawned_by is not None:
                continue
            ours, theirs = protocol.channel_pair()
            session.attach_actor(actor.name, actor.role, ours)
            folder = submission.path if actor.role == "subject" else self.reference
            launches.append(ActorLaunch(name=actor.name, role=actor.role, module_name=spec.interface.module,
                                        module_path=str(folder / f"{spec.interface.module}.py")))
            actor_fds.append(theirs)
        box_id = uuid.uuid4().hex[:12]
        group = cgroups.create(box_id, self.limits.processes, self.limits.memory) if self.isolation.cgroups else None
        session.cgroup = group
        request = BoxRequest(box_id=box_id, full_isolation=self.isolation.full,
                             user_namespace=self.isolation.user_namespace, limits=self.limits,
                             actors=tuple(launches), workdir=workdir, hidden=self.hidden,
                             cgroups=group.folders if group else ())
        channels = BoxChannels(init=init_theirs.fileno(), output=output_theirs.fileno(),
                               actors=tuple(s.fileno() for s in actor_fds))
        try:
            return self._zygote.start_box(request, channels)
        finally:
            for sock in (init_theirs, output_theirs, *actor_fds):
                sock.close()

    def _execute(self, case: Case, session: BoxSession, execution: CaseExecution, base: CaseResult,
                 timeout: float) -> CaseResult:
        try:
            self._wait_ready(session)
            session.deadline = time.monotonic() + timeout  # the case's own budget starts now
            for number, step in enumerate(case.steps, start=1):
                execution.step_number = number
                execution.run(step)
        except StepFailed as failure:
            return self._failed(case, base, execution, failure)
        except CaseTimeout as timeout_error:
            return self._timed_out(case, base, session, execution, timeout_error, timeout)
        return base

    def _wait_ready(self, session: BoxSession) -> None:
        """Wait for init and every actor to say hello, then have every actor load its module."""
        try:
            session.wait_until(lambda: session.setup_failure is not None or (
                session.init_pid is not None and all(a.host_pid is not None for a in session.actors.values())),
                "the box to start")
        except CaseTimeout as exc:
            raise HarnessError("the box did not start in time") from exc
        if session.setup_failure:
            raise HarnessError(f"the box could not be built: {session.setup_failure}")
        loads = {name: session.request(actor, {"op": "load"}) for name, actor in session.actors.items()}
        for name, ident in loads.items():
            actor = session.actors[name]
            try:
                session.wait_until(lambda a=actor, i=ident: i in a.replies or a.exited or a.closed  # type: ignore[misc]
                                   or _stopped(a.host_pid), f"{name} to import the module", poll=0.05)
            except CaseTimeout:
                raise StepFailed("importing the module did not finish: does it run code at import time "
                                 "that waits or loops forever?") from None
            if _stopped(actor.host_pid):
                raise StepFailed(f"the process '{name}' stopped itself (SIGSTOP or similar) while importing the module")
            if ident not in actor.replies:
                raise StepFailed(f"the process '{name}' died while importing the module")

    def _failed(self, case: Case, base: CaseResult, execution: CaseExecution, failure: StepFailed) -> CaseResult:
        outcome = Outcome.CRASH if failure.crash_signal else Outcome.LEAK if isinstance(failure, Leaked) else Outcome.FAIL
        if failure.crash_signal == "SIGKILL" and execution.session.cgroup and execution.session.cgroup.oom_killed():
            failure.message += (f" — the box ran out of memory (its limit is {self.limits.memory // (1024 * 1024)} MiB "
                                "for all its processes together), so the kernel killed it")
        step = case.steps[execution.step_number - 1] if execution.step_number else None
        return replace(base, outcome=outcome, message=failure.message, expected=failure.expected,
                       observed=failure.observed, signal=failure.crash_signal,
                       step=execution.step_number or None,
                       location=str(step.location) if step is not None else base.location)

    def _timed_out(self, case: Case, base: CaseResult, session: BoxSession, execution: CaseExecution,
                   error: CaseTimeout, timeout: float) -> CaseResult:
        names = {a.host_pid: a.name for a in session.actors.values() if a.host_pid is not None}
        views = [v for v in (kernel.view(p) for p in kernel.descendants(session.init_pid or 0)) if v is not None]
        step = case.steps[execution.step_number - 1] if execution.step_number else None
        return replace(base, outcome=Outcome.TIMEOUT, step=execution.step_number or None,
                       location=str(step.location) if step is not None else base.location,
                       message=f"timed out after {timeout:g}s waiting for {error.waiting_for}",
                       expected=f"{error.waiting_for} within {timeout:g}s", observed="nothing happened",
                       diagnosis=diagnosis.explain(views, names))

    # -- teardown -------------------------------------------------------------------------

    def _teardown(self, session: BoxSession, supervisor: int | None, workdir: str) -> str:
        """Kill the box, wait until the zygote has reaped it, and audit what is left."""
        init = session.init_pid
        seen = audit.identities(set(kernel.descendants(init)) | {init}) if init else set()
        with audit.pinned_pid_namespace(init if self.isolation.full else None) as namespace:
            try:
                if init is not None and not self.isolation.full:
                    audit.kill_tree(init)
                target = init if init is not None else supervisor
                if target is not None:
                    _kill(target)
                if supervisor is not None and self._zygote is not None:
                    self._zygote.wait_box_done(_TEARDOWN_DEADLINE)
            finally:
                session.close()
                if session.cgroup is not None:
                    session.cgroup.remove()
            return audit.leftovers(seen, namespace, None if self.isolation.full else workdir)


#: The folder holding the engine (and, in a checkout, the specs, tests and reference).
ENGINE_ROOT = Path(__file__).resolve().parents[2]
#: Folders that are never hidden from a box: the system the actors run on.
_SYSTEM = frozenset({"/", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/dev", "/sys", "/tmp", "/run"})


def _is_checkout(folder: Path) -> bool:
    """A project checkout (hide it: specs and tests live there), not site-packages."""
    return (folder / "pyproject.toml").exists() or (folder / "specs").is_dir()


def hideable(paths: tuple[str, ...]) -> tuple[str, ...]:
    """The distinct existing folders among ``paths``, outermost only, minus system folders."""
    found = sorted({os.path.realpath(p) for p in paths if p and os.path.isdir(p)} - _SYSTEM)
    kept: list[str] = []
    for path in found:
        if not any(path.startswith(k + "/") for k in kept):
            kept.append(path)
    return tuple(kept)


def _stopped(pid: int | None) -> bool:
    """Whether the process is stopped (state T): it will not go on until someone sends SIGCONT."""
    state = kernel.stat(pid) if pid else None
    return state is not None and state.state in ("T", "t")


def _kill(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        signal.pidfd_send_signal(fd, signal.SIGKILL)
    except ProcessLookupError:
        pass
    finally:
        os.close(fd)

