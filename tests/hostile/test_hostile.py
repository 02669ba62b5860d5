"""Hostile submissions against the sandbox: one attack per row of the research notes'
hostile-submission catalogue (§3), each checked by its observable outcome; the list with
every outcome is ``tests/hostile/README.md``.

Every attack is a submission, ``tests/hostile/<NN>_<name>/ipc_pipe.py``; the tests copy it
with ``hostile_kit.py`` and a ``hostile.json`` (what an attacker could learn or guess: the
canary's pid, names the host holds, the grader's paths). One run of an attack
(:func:`_attack_run`):

1. a **neighbour** case (an ordinary submission: the reference) starts in a box of its own
   and is parked by the test at step 4, its processes and pipes alive;
2. the hostile submission runs the three cases of a small pipe spec, each in a new box;
   its ``make_pipe()`` attacks, prints one report line, and returns a forged answer;
3. the neighbour goes on once the attack is in place (``HOSTILE-ARMED``) or the first
   hostile case is over, and must pass;
4. then: the **canary** (a same-user process outside every box, standing in for the
   grader, recording SIGUSR1, SIGTERM and friends in a pipe) recorded nothing and is
   neither stopped nor gone; the hostile grade equals the **student template's**; and
   **nothing is left on the host**: no new SysV object, child process or mount, no file
   named ``hostile-box*`` in ``/``, ``/tmp``, ``/dev/shm`` or ``/var/tmp`` (every file a
   hostile submission makes has that name: other runs on the machine come and go in /tmp
   meanwhile), no process named ``hostile-*``, no marker of code run in the grader, and
   none of the hostile boxes' cgroups.

Tests marked ``xfail(strict=True)`` name a defence the engine does not have; when it
arrives they pass, and strict mode says so. Every wait is on an event with a deadline.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import resource
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sysv_ipc

from conformance.grading.result import CaseResult, Outcome
from conformance.grading.score import case_points
from conformance.runner import kernel
from conformance.runner.orchestrator import CaseRunner, Submission
from conformance.sandbox import audit, preflight
from conformance.spec import load_spec
from tests.conftest import REPO, child_processes, run_all, sysv_objects

pytestmark = pytest.mark.hostile

HERE = Path(__file__).resolve().parent
REFERENCE = REPO / "reference"
#: Seconds any wait of the test itself may take (a box start, a join, the canary's start).
LIMIT = 60.0
#: The neighbour case is parked before this step (1-based) while the hostile box attacks.
PARK_AT = 4
ARMED = b"HOSTILE-ARMED"
REPORT = "HOSTILE-REPORT "
#: Attacks on host-wide resources (the user's pipe-buffer quota, all processes, memory)
#: run alone: no other hostile test of this session runs meanwhile, on any worker.
HOST_WIDE = {"09_process_quota", "10_fork_bomb", "11_pipe_buffer_quota", "14_memory_hog"}
#: Left out of the batch: attacks whose defence is missing and that change other
#: submissions' or their own grades (each has its own xfail test).
NOT_IN_BATCH = {"11_pipe_buffer_quota", "28_patch_actor_runtime"}
#: SysV keys the host fixture holds (one per xdist worker); leftover checks skip them.
KEY_BASE = 0x40570000
#: SysV keys other tests may hold on the host meanwhile (this module's host fixtures, on
#: every worker, and tests/sandbox's): the leftover check skips them.
FOREIGN_KEYS = (range(KEY_BASE, KEY_BASE + 0x100), range(0x5EED0000, 0x5EED0100))
#: Every file a hostile submission makes is named ``hostile-box*``; the leftover check looks
#: for that name wherever a box could write if a defence failed. (Other tests and other
#: people's runs on this machine come and go in /tmp meanwhile, so any other name there
#: cannot be told apart from a leak.)
WRITABLE_IF_BROKEN = ("/", "/tmp", "/dev/shm", "/var/tmp")
#: The environment variable planted in the grader's environment (attack 23).
TOKEN = "HOSTILE_GRADER_TOKEN"
#: A secret in the grader's memory (attack 22); submissions know only its SHA-256.
_SECRET = f"HOSTILE-SECRET-{secrets.token_hex(16)}"

ATTACKS = sorted(p.name for p in HERE.iterdir() if p.is_dir() and (p / "ipc_pipe.py").is_file())

HOSTILE_SPEC = """\
spec: hostile
version: 1.0.0
title: A small pipe spec that hostile submissions run against
references: ["man:pipe(2)", "man:pipe(7)"]
interface:
  module: ipc_pipe
  contract: make_pipe() returns (read_fd, write_fd) of a new pipe.
  functions:
    - {name: make_pipe, signature: "make_pipe() -> tuple[int, int]", doc: "Create a pipe and return (read_fd, write_fd)."}
cases:
  - id: H-PIPE
    title: make_pipe returns a working pipe, read end first, as the reference peer's does
    references: ["man:pipe(2)", PIPE-DIR-01]
    timeout: 2
    actors: {a: subject, ref: reference}
    steps:
      - {actor: ref, call: make_pipe, save: rp}
      - {actor: ref, call: "os:write", args: ["$rp.1", {text: ping}], expect: {returns: 4}}
      - {actor: ref, call: "os:read", args: ["$rp.0", 16], save: want, expect: {returns: {text: ping}}}
      - {actor: a, call: make_pipe, save: p, expect: {returns: {items: [{type: int}, {type: int}]}}}
      - {observe: fds, actor: a, expect: {kernel: {pipe_read_ends: 1, pipe_write_ends: 1}}}
      - {actor: a, call: "os:write", args: ["$p.1", {text: ping}], expect: {returns: 4}}
      - {actor: a, call: "os:read", args: ["$p.0", 16], expect: {returns: {eq: "$want"}}}
      - {actor: a, call: "os:write", args: ["$p.0", {text: x}], expect: {raises: EBADF}}
      - {actor: ref, call: "os:close", args: ["$rp.0"]}
  - id: H-FORK
    title: a child forked after make_pipe writes into it and the parent reads
    references: ["man:pipe(7)", PIPE-FORK-01]
    timeout: 1
    actors: {a: subject, child: {role: subject, spawned_by: a}}
    steps:
      - {actor: a, call: make_pipe, save: p}
      - {actor: a, spawn: child}
      - {observe: pipe, actor: a, target: "$p.0", expect: {kernel: {readers: 2, writers: 2}}}
      - {actor: child, call: "os:write", args: ["$p.1", {text: hello}], expect: {returns: 5}}
      - {actor: a, call: "os:read", args: ["$p.0", 16], expect: {returns: {text: hello}}}
  - id: H-CAP
    title: a new pipe holds 64 KiB
    references: ["man:pipe(7)", PIPE-CAP-01]
    timeout: 1
    actors: {a: subject}
    steps:
      - {actor: a, call: make_pipe, save: p}
      - {observe: fds, actor: a, expect: {kernel: {pipe_read_ends: 1, pipe_write_ends: 1}}}
      - {actor: a, call: "os:set_nonblocking", args: ["$p.1"]}
      - {actor: a, call: "os:write", args: ["$p.1", {gen: {size: 65536, seed: 1}}], expect: {returns: 65536}}
"""

#: The neighbour: an ordinary case, parked before step PARK_AT while an attack runs.
#: After the park it makes new pipes and a new process, so that an attack on quotas
#: (processes, pipe buffers) shows up in it.
NEIGHBOUR_SPEC = """\
spec: neighbour
version: 1.0.0
title: An ordinary case that runs while a hostile box attacks
references: ["man:pipe(2)", "man:pipe(7)"]
interface:
  module: ipc_pipe
  contract: make_pipe() returns (read_fd, write_fd) of a new pipe.
  functions:
    - {name: make_pipe, signature: "make_pipe() -> tuple[int, int]", doc: "Create a pipe and return (read_fd, write_fd)."}
cases:
  - id: N-ALL
    title: pipes, processes and a reference peer, before and after the attack
    references: ["man:pipe(7)", PIPE-DIR-01, PIPE-FORK-01, PIPE-CAP-01]
    timeout: 3
    actors: {a: subject, ref: reference, c1: {role: subject, spawned_by: a}, c2: {role: subject, spawned_by: a}}
    steps:
      - {actor: a, call: make_pipe, save: p}
      - {actor: a, spawn: c1}
      - {actor: a, call: "os:write", args: ["$p.1", {text: ping}], expect: {returns: 4}}
      - {actor: a, call: make_pipe, save: q}
      - {actor: a, spawn: c2}
      - {actor: c2, call: "os:write", args: ["$q.1", {text: after}], expect: {returns: 5}}
      - {actor: a, call: "os:read", args: ["$q.0", 16], expect: {returns: {text: after}}}
      - {actor: a, call: make_pipe, save: r}
      - {actor: a, call: "os:set_nonblocking", args: ["$r.1"]}
      - {actor: a, call: "os:write", args: ["$r.1", {gen: {size: 65536, seed: 2}}], expect: {returns: 65536}}
      - {actor: c1, call: "os:read", args: ["$p.0", 16], expect: {returns: {text: ping}}}
      - {actor: ref, call: make_pipe, save: rp}
      - {actor: ref, call: "os:write", args: ["$rp.1", {text: pong}], expect: {returns: 4}}
      - {actor: ref, call: "os:read", args: ["$rp.0", 16], expect: {returns: {text: pong}}}
"""

#: The canary: records every catchable signal it receives as one byte in a pipe.
CANARY_SOURCE = """\
import os, signal, sys
hits = int(sys.argv[1])
def record(signum, frame):
    os.write(hits, bytes([signum]))
for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGINT, signal.SIGHUP,
            signal.SIGCONT, signal.SIGALRM, signal.SIGQUIT, signal.SIGPIPE, signal.SIGWINCH):
    signal.signal(sig, record)
os.write(hits, b"\\0")
while True:
    signal.pause()
"""

#: A pytest plugin loaded into the grader's own workers (PYTEST_PLUGINS): after each item it
#: writes the worker's dumpable flag (prctl PR_GET_DUMPABLE) to a file named by its pid.
DUMPABLE_PROBE = """\
import ctypes, os

def pytest_runtest_teardown(item):
    value = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)
    with open(os.path.join(os.environ["HOSTILE_DUMPABLE_DIR"], str(os.getpid())), "w") as handle:
        handle.write(str(value))
"""


# -- the canary ------------------------------------------------------------------------------


class Canary:
    """A same-user process outside every box, standing in for the grader."""

    def __init__(self) -> None:
        read_end, write_end = os.pipe()
        self.process = subprocess.Popen([sys.executable, "-I", "-c", CANARY_SOURCE, str(write_end)],
                                        pass_fds=[write_end], stdin=subprocess.DEVNULL)
        os.close(write_end)
        self._hits = read_end
        ready, _, _ = select.select([read_end], [], [], LIMIT)
        assert ready and os.read(read_end, 1) == b"\0", "the canary did not start"
        os.set_blocking(read_end, False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def hits(self) -> list[str]:
        """Signals received since the last call, by name."""
        received = b""
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(self._hits, 4096):
                received += chunk
        return [_signal_name(number) for number in received]

    def vitals(self) -> dict[str, Any]:
        """Its state, nice value, CPU affinity and limits: what an attack could change."""
        state = kernel.stat(self.pid)
        try:
            with open(f"/proc/{self.pid}/limits", encoding="ascii") as handle:
                limits = handle.read()
            affinity = sorted(os.sched_getaffinity(self.pid))
            nice = os.getpriority(os.PRIO_PROCESS, self.pid)
        except OSError:
            limits, affinity, nice = "", [], None
        return {"state": state.state if state else "gone", "nice": nice, "affinity": affinity, "limits": limits}

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=LIMIT)
        os.close(self._hits)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


# -- what the host holds, and what must not change on it ------------------------------------


@dataclass
class Host:
    """Names the host itself holds (attacks 1-5 try to take them) and the test's folders."""

    key: int
    queue: sysv_ipc.MessageQueue
    port: int
    fifo: str
    unix_path: str
    abstract: str
    shm: str
    #: A folder outside /tmp a box could see, made by the test (attacks 15 and 25).
    scratch: Path
    #: Where a payload that ran in the grader would leave its marker (attacks 29-31).
    markers: Path


@dataclass(frozen=True)
class Snapshot:
    """What the host looks like, for the "nothing left behind" check."""

    sysv: frozenset[str]
    children: frozenset[int]
    written: frozenset[str]
    mounts: frozenset[str]
    named: frozenset[str]
    markers: frozenset[str]

    @classmethod
    def take(cls, host: Host) -> Snapshot:
        with audit.degraded_lock():  # a degraded box elsewhere removes its SysV objects before letting go
            sysv = {o for o in sysv_objects() if not any(int(o.split(":")[1]) in keys for keys in FOREIGN_KEYS)}
        written = {os.path.join(folder, name) for folder in (*WRITABLE_IF_BROKEN, str(host.scratch))
                   for name in os.listdir(folder) if name.startswith("hostile-box")}
        with open("/proc/self/mountinfo", encoding="utf-8") as handle:
            mounts = {" ".join(line.split()[:5]) for line in handle}
        named = set()
        for pid in (p for p in os.listdir("/proc") if p.isdigit()):
            comm = ""
            with contextlib.suppress(OSError), open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as handle:
                comm = handle.read().strip()
            if comm.startswith("hostile"):
                named.add(f"{pid} ({comm})")
        return cls(sysv=frozenset(sysv),
                   children=frozenset(child_processes()), written=frozenset(written),
                   mounts=frozenset(mounts), named=frozenset(named), markers=frozenset(os.listdir(host.markers)))

    def leftovers(self, after: Snapshot) -> list[str]:
        """What ``after`` has that this snapshot had not, in words."""
        found = []
        for what, old, new in (("SysV objects", self.sysv, after.sysv), ("processes", self.children, after.children),
                               ("files a box wrote on the host", self.written, after.written),
                               ("mounts", self.mounts, after.mounts),
                               ("processes named hostile-*", self.named, after.named),
                               ("markers of code run in the grader", self.markers, after.markers)):
            if new - old:
                found.append(f"{what}: {sorted(map(str, new - old))[:8]}")
        return found


@contextlib.contextmanager
def host_lock(path: Path, *, exclusive: bool) -> Iterator[None]:
    """Shared for ordinary attacks, exclusive for host-wide ones (all xdist workers)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- runners that let the test see and steer the timing ---------------------------------------


class HostileRunner(CaseRunner):
    """Runs the hostile cases; :attr:`armed` is set when the box prints ``HOSTILE-ARMED``,
    or when a case is over, whichever comes first. :attr:`cgroups` collects the cgroup
    folders of its boxes (each must be gone once its box is)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.armed = threading.Event()
        self.cgroups: list[str] = []

    def _execute(self, case: Any, session: Any, execution: Any, base: CaseResult, timeout: float) -> CaseResult:
        group = getattr(session, "cgroup", None)
        self.cgroups.extend(group.folders if group is not None else ())
        pump = session.pump

        def watched(limit: float) -> None:
            pump(limit)
            if ARMED in session.output:
                self.armed.set()

        session.pump = watched
        try:
            return super()._execute(case, session, execution, base, timeout)
        finally:
            self.armed.set()


class ParkedRunner(CaseRunner):
    """Runs the neighbour case, but waits before step :data:`PARK_AT` until :attr:`release`
    is set; the time parked is added to the case's deadline, so it does not count."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parked = threading.Event()
        self.release = threading.Event()

    def _execute(self, case: Any, session: Any, execution: Any, base: CaseResult, timeout: float) -> CaseResult:
        run = execution.run

        def parked_run(step: Any) -> None:
            if execution.step_number == PARK_AT and not self.parked.is_set():
                self.parked.set()
                started = time.monotonic()
                self.release.wait(LIMIT)
                session.deadline += time.monotonic() - started
            run(step)

        execution.run = parked_run
        try:
            return super()._execute(case, session, execution, base, timeout)
        finally:
            self.parked.set()


class Background:
    """Run ``fn`` in a thread; :meth:`result` joins it (with a deadline) and returns its value."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self.thread.start()

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            self.value = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test by result()
            self.error = exc

    def result(self) -> Any:
        self.thread.join(LIMIT)
        assert not self.thread.is_alive(), "a case runner did not finish"
        if self.error is not None:
            raise self.error
        return self.value


# -- one run of an attack ------------------------------------------------------------------------


@dataclass
class Specs:
    """The spec files the test writes, and the folders of the neighbour and the template."""

    hostile: Path
    neighbour: Path
    neighbour_submission: Path
    template: Path


@dataclass
class AttackRun:
    """Everything one run of an attack left to check."""

    name: str
    results: dict[str, CaseResult]
    neighbour: CaseResult
    template: dict[str, CaseResult]
    canary_hits: list[str]
    canary_before: dict[str, Any]
    canary_after: dict[str, Any]
    leftovers: list[str]
    #: Growth of the grader's (this worker's) peak resident memory during the run, KiB.
    rss_growth: int
    reports: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    @property
    def points(self) -> float:
        return sum(case_points(r) for r in self.results.values())

    @property
    def template_points(self) -> float:
        return sum(case_points(r) for r in self.template.values())

    @property
    def report(self) -> dict[str, Any] | None:
        """The probe's report from the first case (H-PIPE), if it got to print one."""
        return self.reports.get("H-PIPE")

    def describe(self) -> str:
        lines = [f"  {item}: {r.outcome.value}: {r.message}" for item, r in self.results.items()]
        return "\n".join(lines)


def _report(result: CaseResult) -> dict[str, Any] | None:
    lines = [line for line in result.output.splitlines() if line.startswith(REPORT)]
    return json.loads(lines[-1][len(REPORT):]) if lines else None


def stage(name: str, destination: Path, context: dict[str, Any], markers: Path) -> Path:
    """Copy attack ``name`` to ``destination`` as a submission: its files (``*.payload``
    installed under their real names, ``@MARKERS@`` filled in), the kit and ``hostile.json``."""
    source = HERE / name
    for path in source.rglob("*"):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        target = destination / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".payload":
            text = path.read_text(encoding="utf-8").replace("@MARKERS@", str(markers))
            target.with_suffix("").write_text(text, encoding="utf-8")
        else:
            shutil.copyfile(path, target)
    shutil.copyfile(HERE / "hostile_kit.py", destination / "hostile_kit.py")
    (destination / "hostile.json").write_text(json.dumps(context), encoding="utf-8")
    return destination


@pytest.fixture(scope="session")
def isolation() -> preflight.Isolation:
    """Full isolation, or the module is skipped: some attacks are only safe inside namespaces."""
    if os.environ.get(preflight.FORCE_ENV):
        pytest.skip(f"{preflight.FORCE_ENV} is set")
    found = preflight.detect()
    if not found.full:
        pytest.skip(f"hostile submissions need full isolation ({found.describe()})")
    return found


@pytest.fixture(scope="session")
def canary(isolation: preflight.Isolation) -> Iterator[Canary]:
    """The canary process, for the whole session of this worker."""
    bird = Canary()
    yield bird
    bird.stop()


@pytest.fixture(scope="session")
def host(isolation: preflight.Isolation, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    """The names the host holds, the scratch folders, and the grader's planted token."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    with contextlib.ExitStack() as held:
        with audit.degraded_lock():  # a degraded box elsewhere removes what our user creates meanwhile
            with contextlib.suppress(sysv_ipc.ExistentialError):
                sysv_ipc.MessageQueue(KEY_BASE + worker).remove()  # left by an interrupted session
            queue = sysv_ipc.MessageQueue(KEY_BASE + worker, sysv_ipc.IPC_CREX)
        held.callback(_remove_queue, queue)
        queue.send(b"host-nonce")
        listener = held.enter_context(socket.socket())
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        folder = Path(tempfile.mkdtemp(prefix="hostile-host-", dir="/tmp"))
        held.callback(shutil.rmtree, folder, True)
        os.mkfifo(folder / "fifo")
        named = held.enter_context(socket.socket(socket.AF_UNIX))
        named.bind(str(folder / "sock"))
        abstract = held.enter_context(socket.socket(socket.AF_UNIX))
        abstract.bind(f"\0hostile-host-{os.getpid()}")
        abstract.listen()
        shm = f"hostile-host-{os.getpid()}"
        os.close(os.open(f"/dev/shm/{shm}", os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
        held.callback(os.unlink, f"/dev/shm/{shm}")
        scratch = Path(tempfile.mkdtemp(prefix="hostile-host-", dir="/var/tmp"))
        held.callback(shutil.rmtree, scratch, True)
        held.callback(_remove_written)
        os.environ[TOKEN] = secrets.token_hex(16)  # every zygote started from now on inherits it
        held.callback(os.environ.pop, TOKEN, None)
        yield Host(key=KEY_BASE + worker, queue=queue, port=listener.getsockname()[1], fifo=str(folder / "fifo"),
                   unix_path=str(folder / "sock"), abstract=f"hostile-host-{os.getpid()}", shm=shm, scratch=scratch,
                   markers=tmp_path_factory.mktemp("markers"))


def _remove_queue(queue: sysv_ipc.MessageQueue) -> None:
    with contextlib.suppress(sysv_ipc.ExistentialError):  # attack 2 removes it if its defence failed
        queue.remove()


def _remove_written() -> None:
    """Remove what a hostile box managed to write on the host (only if a defence failed)."""
    for folder in WRITABLE_IF_BROKEN:
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if name.startswith("hostile-box"):
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(path)


def context(canary: Canary, host: Host, specs: Specs, out: Path | None = None) -> dict[str, Any]:
    """What ``hostile.json`` tells a submission (what an attacker could learn or guess)."""
    return {
        "canary": canary.pid, "grader": os.getpid(), "host_pid_namespace": os.readlink("/proc/self/ns/pid"),
        "key": host.key, "port": host.port, "fifo": host.fifo, "unix_path": host.unix_path,
        "abstract": host.abstract, "shm": host.shm,
        "secret_sha256": hashlib.sha256(_SECRET.encode()).hexdigest(),
        "secret_paths": [str(p) for p in (REPO / "specs" / "pipe.yaml", REPO / "reference" / "ipc_pipe.py",
                                          HERE / "test_hostile.py", REPO / "conformance" / "grading" / "cache.py",
                                          REPO / "specs", specs.hostile)],
        "host_dirs": [str(host.scratch)], "out": str(out) if out else None,
        "marker": str(host.markers / "pickle-ran"), "markers": str(host.markers),
    }


@pytest.fixture(scope="session")
def specs(tmp_path_factory: pytest.TempPathFactory) -> Specs:
    """The small hostile spec, the neighbour's spec, and copies of the reference and template."""
    folder = tmp_path_factory.mktemp("specs")
    (folder / "hostile.yaml").write_text(HOSTILE_SPEC, encoding="utf-8")
    (folder / "neighbour.yaml").write_text(NEIGHBOUR_SPEC, encoding="utf-8")
    for name, source in (("neighbour", REFERENCE), ("template", REPO / "student_template")):
        (folder / name).mkdir()
        shutil.copyfile(source / "ipc_pipe.py", folder / name / "ipc_pipe.py")
    return Specs(hostile=folder / "hostile.yaml", neighbour=folder / "neighbour.yaml",
                 neighbour_submission=folder / "neighbour", template=folder / "template")


@pytest.fixture(scope="session")
def template(isolation: preflight.Isolation, specs: Specs) -> dict[str, CaseResult]:
    """The empty submission's (the student template's) results on the hostile spec."""
    runner = CaseRunner(isolation=isolation, reference=REFERENCE)
    try:
        return run_all(runner, specs.hostile, specs.template)
    finally:
        runner.close()


@pytest.fixture(scope="session")
def lock_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lock file shared by every worker of this session (the session's base folder)."""
    return tmp_path_factory.getbasetemp().parent / "hostile-host.lock"


@pytest.fixture(scope="session")
def attack(isolation: preflight.Isolation, canary: Canary, host: Host, specs: Specs, template: dict[str, CaseResult],
           lock_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], AttackRun]:
    """Run an attack once per worker (several tests may check the same run)."""
    runs: dict[str, AttackRun] = {}
    base = tmp_path_factory.mktemp("attacks")

    def run(name: str) -> AttackRun:
        if name not in runs:
            folder = stage(name, base / name, context(canary, host, specs), host.markers)
            runs[name] = _attack_run(name, folder, isolation=isolation, canary=canary, host=host, specs=specs,
                                     template=template, lock=lock_path)
        return runs[name]

    return run


def _attack_run(name: str, folder: Path, *, isolation: preflight.Isolation, canary: Canary, host: Host, specs: Specs,
                template: dict[str, CaseResult], lock: Path) -> AttackRun:
    neighbour_spec = load_spec(specs.neighbour)
    neighbour_submission = Submission(name="neighbour", path=specs.neighbour_submission)
    with host_lock(lock, exclusive=name in HOST_WIDE):
        before = Snapshot.take(host)
        canary.hits()  # forget anything older than this run
        canary_before = canary.vitals()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        hostile = HostileRunner(isolation=isolation, reference=REFERENCE)
        neighbour = ParkedRunner(isolation=isolation, reference=REFERENCE)
        jobs: list[Background] = []
        try:
            jobs.append(Background(neighbour.run, neighbour_spec, neighbour_spec.cases[0], None, neighbour_submission))
            neighbour.parked.wait(LIMIT)
            jobs.append(Background(run_all, hostile, specs.hostile, folder))
            hostile.armed.wait(LIMIT)
            neighbour.release.set()
            neighbour_result, results = jobs[0].result(), jobs[1].result()
        finally:
            neighbour.release.set()
            for job in jobs:
                job.thread.join(LIMIT)
            hostile.close()
            neighbour.close()
        hits, canary_after = canary.hits(), canary.vitals()
        leftovers = before.leftovers(Snapshot.take(host))
        if cgroups := [folder for folder in hostile.cgroups if os.path.exists(folder)]:
            leftovers.append(f"cgroups of the hostile boxes: {cgroups}")
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
    return AttackRun(name=name, results=results, neighbour=neighbour_result, template=template, canary_hits=hits,
                     canary_before=canary_before, canary_after=canary_after, leftovers=leftovers, rss_growth=growth,
                     reports={item: _report(result) for item, result in results.items()})


# -- what every attack must leave --------------------------------------------------------------


def assert_contained(run: AttackRun, *, neighbour: bool = True, grade: bool = True) -> None:
    """The catalogue's common outcomes: the neighbour passed, the canary saw nothing and is
    still running, the grade is an empty submission's, nothing is left on the host."""
    problems = []
    if neighbour and run.neighbour.outcome is not Outcome.PASS:
        problems.append(f"the neighbour case failed next to the attack: {run.neighbour.outcome.value}: "
                        f"{run.neighbour.message}")
    if run.canary_hits:
        problems.append(f"the canary (standing in for the grader) received {run.canary_hits}")
    if run.canary_after["state"] not in ("S", "R", "D"):
        problems.append(f"the canary's state is {run.canary_after['state']!r} (stopped or gone)")
    if grade:
        forged = [f"{item}: {r.outcome.value}" for item, r in run.results.items()
                  if r.outcome in (Outcome.PASS, Outcome.HARNESS_ERROR)]
        if forged:
            problems.append(f"results that are not the student's fault: {forged}")
        if run.points != run.template_points:
            problems.append(f"the grade is {run.points}, the empty submission's is {run.template_points}")
    if run.leftovers:
        problems.append("left on the host: " + "; ".join(run.leftovers))
    assert not problems, f"attack {run.name}:\n  " + "\n  ".join(problems) + "\nhostile results:\n" + run.describe()


def assert_no_breach(run: AttackRun, *, only: str = "", besides: str = "", item: str = "H-PIPE") -> None:
    """The probe's own report (from case ``item``) lists no breach (those starting with
    ``only``, or all but those starting with ``besides``)."""
    report = run.reports.get(item)
    result = run.results[item]
    assert report is not None, (f"attack {run.name}: no report from the probe in {item} "
                                f"({result.outcome.value}: {result.message}); output: {result.output[-500:]!r}")
    breaches = [b for b in report["breaches"] if (not only or b.startswith(only)) and not (besides and b.startswith(besides))]
    assert not breaches, f"attack {run.name}: the probe got through:\n  " + "\n  ".join(breaches)


def _outcome(run: AttackRun, item: str = "H-PIPE") -> Outcome:
    return run.results[item].outcome


# -- A. interference between submissions or tests ---------------------------------------------


def test_01_sysv_key_collision(attack: Callable[[str], AttackRun], host: Host) -> None:
    """A SysV key the host holds is free in the box, and the host's queue keeps its message."""
    run = attack("01_sysv_key_collision")
    assert_contained(run)
    assert_no_breach(run)
    assert host.queue.current_messages == 1


def test_02_sysv_theft(attack: Callable[[str], AttackRun], host: Host) -> None:
    """A box enumerates no foreign SysV object, cannot attach the host's queue, and leaves it intact."""
    run = attack("02_sysv_theft")
    assert_contained(run)
    assert_no_breach(run)
    assert host.queue.current_messages == 1


def test_03_posix_shm_collision(attack: Callable[[str], AttackRun]) -> None:
    """The host's /dev/shm name is free in the box's private /dev/shm; the host's is unchanged."""
    run = attack("03_posix_shm_collision")
    assert_contained(run)
    assert_no_breach(run)


def test_04_port_collision(attack: Callable[[str], AttackRun]) -> None:
    """The host's listening port is free in the box and the host's listener is unreachable."""
    run = attack("04_port_collision")
    assert_contained(run)
    assert_no_breach(run)


def test_05_fifo_and_socket_names(attack: Callable[[str], AttackRun]) -> None:
    """The host's FIFO path, socket path and abstract name are all free in the box."""
    run = attack("05_fifo_and_socket_names")
    assert_contained(run)
    assert_no_breach(run)


def test_06_kill_everyone(attack: Callable[[str], AttackRun]) -> None:
    """kill(-1, SIGUSR1) from a box reaches neither the canary nor the neighbour."""
    run = attack("06_kill_everyone")
    assert_contained(run)
    assert_no_breach(run)


def test_07_signal_the_grader(attack: Callable[[str], AttackRun]) -> None:
    """kill(getppid()), kill(0), killpg and signals to the canary's pid (SIGSTOP too) hit nothing."""
    run = attack("07_signal_the_grader")
    assert_contained(run)
    assert_no_breach(run)
    assert run.canary_after["state"] != "T"


def test_08_neighbour_by_pid(attack: Callable[[str], AttackRun]) -> None:
    """/proc in a box lists only its own processes; kill, ptrace and mem on the canary's pid fail."""
    run = attack("08_neighbour_by_pid")
    assert_contained(run)
    assert_no_breach(run)


def test_09_process_quota(attack: Callable[[str], AttackRun]) -> None:
    """A box holding as many processes as it can gets EAGAIN near its own limit; the neighbour still forks."""
    run = attack("09_process_quota")
    assert_contained(run)
    assert_no_breach(run)


def test_10_fork_bomb(attack: Callable[[str], AttackRun]) -> None:
    """A fork bomb meets EAGAIN at the box's limit; the neighbour passes; no process survives."""
    run = attack("10_fork_bomb")
    assert_contained(run)
    assert_no_breach(run)


@pytest.mark.xfail(reason="missing defence: a distinct uid or user namespace per box; actors are all root without "
                          "capabilities, so one box can use up fs.pipe-user-pages-soft for every other box",
                   strict=True)
def test_11_pipe_buffer_quota_leaves_neighbours_full_pipes(attack: Callable[[str], AttackRun]) -> None:
    """While a box holds the user's pipe-buffer quota, the neighbour's new pipe still holds 64 KiB."""
    run = attack("11_pipe_buffer_quota")
    assert run.neighbour.outcome is Outcome.PASS, f"{run.neighbour.message}; probe: {run.report}"


def test_11_pipe_buffer_quota_is_otherwise_contained(attack: Callable[[str], AttackRun]) -> None:
    """The pipe-buffer attack reaches no canary, forges no grade and leaves nothing behind."""
    assert_contained(attack("11_pipe_buffer_quota"), neighbour=False)


# -- B. resource abuse and denial of service --------------------------------------------------


def test_12_cpu_spin(attack: Callable[[str], AttackRun]) -> None:
    """A CPU spin with a SIGXCPU handler cannot raise its CPU limit and ends as a timeout."""
    run = attack("12_cpu_spin")
    assert_contained(run)
    assert_no_breach(run)
    assert _outcome(run) is Outcome.TIMEOUT


def test_13_block_forever(attack: Callable[[str], AttackRun]) -> None:
    """pause() with SIGTERM ignored is a timeout within the case's limit, every time."""
    run = attack("13_block_forever")
    assert_contained(run)
    assert {r.outcome for r in run.results.values()} == {Outcome.TIMEOUT}
    assert run.results["H-PIPE"].duration < 2 + 5 + 10  # timeout + module-load allowance + teardown


def test_14_memory_hog(attack: Callable[[str], AttackRun]) -> None:
    """Processes filling 3 GiB together are stopped by the box's memory limit; the grader's memory is unaffected."""
    run = attack("14_memory_hog")
    assert_contained(run)
    if not preflight.detect().cgroups:
        pytest.xfail("without a cgroup (e.g. an unprivileged grader) only each process's memory is bounded")
    if run.report is not None:  # the whole box may have been killed before it could report
        assert_no_breach(run)
    assert run.rss_growth < 64 * 1024


def test_15_disk_fill(attack: Callable[[str], AttackRun]) -> None:
    """Filling /tmp stops at the tmpfs's size and inodes, and no host folder is writable."""
    run = attack("15_disk_fill")
    assert_contained(run)
    assert_no_breach(run)


def test_16_output_flood(attack: Callable[[str], AttackRun]) -> None:
    """Endless output stops the case as a failure, and the grader's memory does not follow it."""
    run = attack("16_output_flood")
    assert_contained(run)
    result = run.results["H-PIPE"]
    assert result.outcome is Outcome.FAIL and "printed more than" in result.message
    assert run.rss_growth < 64 * 1024


def test_17_fd_exhaustion(attack: Callable[[str], AttackRun]) -> None:
    """Opening descriptors stops at EMFILE (256) and the limit cannot be raised."""
    run = attack("17_fd_exhaustion")
    assert_contained(run)
    assert_no_breach(run)


def test_18_sysv_leak(attack: Callable[[str], AttackRun]) -> None:
    """1000 leaked queues die with their box: every new box creates its full set again, and the host has none."""
    run = attack("18_sysv_leak")
    assert_contained(run)
    for item in run.results:
        assert_no_breach(run, item=item)


def test_19_daemon(attack: Callable[[str], AttackRun]) -> None:
    """A double-forked, setsid'd daemon deaf to signals does not outlive its box."""
    assert_contained(attack("19_daemon"))


def test_20_zombie_farm(attack: Callable[[str], AttackRun]) -> None:
    """200 unreaped children: the submission is not pid 1, the trusted peer's steps are delivered, nothing is left."""
    run = attack("20_zombie_farm")
    assert_contained(run)
    assert_no_breach(run)
    result = run.results["H-PIPE"]
    assert result.outcome is Outcome.FAIL
    assert any(line.startswith("ref: read(") for line in result.transcript), result.transcript


# -- C. escaping, reading secrets, tampering with the grader ---------------------------------


def test_21_read_hidden_files(attack: Callable[[str], AttackRun]) -> None:
    """Specs, tests, the reference and the grader's folders cannot be read from a box."""
    run = attack("21_read_hidden_files")
    assert_contained(run)
    assert_no_breach(run)


def test_22_grader_memory(attack: Callable[[str], AttackRun]) -> None:
    """The grader's in-memory secret is neither in the submission's memory nor in any process it can read."""
    run = attack("22_grader_memory")
    assert_contained(run)
    assert_no_breach(run)


def test_23_environment_holds_no_grader_secret(attack: Callable[[str], AttackRun]) -> None:
    """Neither os.environ nor /proc/self/environ shows any variable beyond the allow-list."""
    assert_no_breach(attack("23_env_argv_fds"), only="environ:")


def test_23_argv_and_descriptors(attack: Callable[[str], AttackRun]) -> None:
    """argv holds no grader secret and only descriptors 0-2 and the channel are open in an actor."""
    run = attack("23_env_argv_fds")
    assert_contained(run)
    assert_no_breach(run, besides="environ:")


def test_24_network(attack: Callable[[str], AttackRun]) -> None:
    """A box has only lo: no route out, no DNS, and the host's listener is unreachable."""
    run = attack("24_network")
    assert_contained(run)
    assert_no_breach(run)


def test_25_overwrite_results(attack: Callable[[str], AttackRun]) -> None:
    """Fake replies and JSON written to every descriptor held do not change the grade."""
    run = attack("25_overwrite_results")
    assert_contained(run)
    assert_no_breach(run)


def test_26_forged_verdict_text(attack: Callable[[str], AttackRun]) -> None:
    """Printed verdicts of every known format are shown but never believed."""
    run = attack("26_forged_verdict_text")
    assert_contained(run)
    assert "Score: 100/100" in run.results["H-PIPE"].output


def test_27_exit_code_spoofing(attack: Callable[[str], AttackRun]) -> None:
    """Exiting 0 instead of answering (with atexit forcing 0) fails every case."""
    run = attack("27_exit_code_spoofing")
    assert_contained(run)
    for result in run.results.values():
        assert result.outcome is Outcome.FAIL and "exited with code 0" in result.message, result.message


@pytest.mark.xfail(reason="missing defence: os: operations run inside the subject's own process, which can patch "
                          "the actor runtime; no trusted observation tells a pipe's read end from its write end",
                   strict=True)
def test_28_patched_runtime_cannot_pass_a_wrong_pipe(attack: Callable[[str], AttackRun]) -> None:
    """A make_pipe returning the ends the wrong way round, with the runtime's os: operations patched, earns nothing."""
    run = attack("28_patch_actor_runtime")
    assert run.points == run.template_points, run.describe()


def test_28_patched_runtime_is_otherwise_contained(attack: Callable[[str], AttackRun]) -> None:
    """Patching the actor runtime reaches no canary or neighbour and leaves nothing behind."""
    assert_contained(attack("28_patch_actor_runtime"), grade=False)


def test_28_always_equal(attack: Callable[[str], AttackRun]) -> None:
    """An object equal to everything, with in-process comparison helpers patched, still fails."""
    assert_contained(attack("28_always_equal"))


def test_29_malicious_payloads(attack: Callable[[str], AttackRun], host: Host) -> None:
    """Forged credentials are refused; a pickle gadget and oversized JSON fail the case, never run."""
    run = attack("29_malicious_payloads")
    assert_contained(run)
    assert_no_breach(run)
    assert not (host.markers / "pickle-ran").exists()
    assert "garbage" in run.results["H-PIPE"].message or "malformed" in run.results["H-PIPE"].message


def test_30_startup_files(attack: Callable[[str], AttackRun]) -> None:
    """A submission shipping conftest.py, pytest.ini, .pth and a plugin grades like an empty one (in a box)."""
    assert_contained(attack("30_startup_files"))


def test_31_import_shadowing(attack: Callable[[str], AttackRun]) -> None:
    """Modules named like the standard library or the engine never shadow the real ones in a box."""
    run = attack("31_import_shadowing")
    assert_contained(run)
    assert_no_breach(run)


def test_32_privileges(attack: Callable[[str], AttackRun]) -> None:
    """No capability is left and NoNewPrivs is set: mount, chroot, sethostname and ptrace all fail."""
    run = attack("32_privileges")
    assert_contained(run)
    assert_no_breach(run, besides="userns:")


@pytest.mark.xfail(reason="missing defence: seccomp denying unshare/setns/mount; unshare(CLONE_NEWUSER) gives an "
                          "actor every capability inside a new user namespace",
                   strict=True)
def test_32_no_new_user_namespace(attack: Callable[[str], AttackRun]) -> None:
    """unshare(CLONE_NEWUSER) is refused inside a box."""
    assert_no_breach(attack("32_privileges"), only="userns:")


def test_33_tamper_trusted_actor(attack: Callable[[str], AttackRun]) -> None:
    """The reference peer's mem, environ, fds and ptrace are closed to the subject; stopping it changes no verdict."""
    run = attack("33_tamper_trusted_actor")
    assert_contained(run)
    assert_no_breach(run)
    assert run.report is not None and run.report["notes"]["trusted"], "the probe found no trusted actor to attack"


def test_34_subvert_timeout(attack: Callable[[str], AttackRun]) -> None:
    """Disabling SIGALRM and catching BaseException still ends in a timeout; this worker carries on."""
    run = attack("34_subvert_timeout")
    assert_contained(run)
    assert {r.outcome for r in run.results.values()} == {Outcome.TIMEOUT}


def test_35_limits_api(attack: Callable[[str], AttackRun]) -> None:
    """prlimit, setpriority and sched_setaffinity on the canary's pid fail; its limits and nice value are unchanged."""
    run = attack("35_limits_api")
    assert_contained(run)
    assert_no_breach(run)
    assert run.canary_after == run.canary_before


def test_36_side_channels_are_contained(attack: Callable[[str], AttackRun]) -> None:
    """Probing keyrings, locks, io_uring and vsock reaches no canary or neighbour and leaves nothing."""
    assert_contained(attack("36_side_channels"))


@pytest.mark.xfail(reason="missing defence: a seccomp deny-list (keyctl, io_uring, AF_VSOCK) or a distinct uid per "
                          "box; the user keyring and flock on shared inodes connect every box", strict=True)
def test_36_side_channel_syscalls_are_refused(attack: Callable[[str], AttackRun]) -> None:
    """keyctl, flock on a shared inode, io_uring_setup and AF_VSOCK are each refused."""
    assert_no_breach(attack("36_side_channels"))


def test_37_tiocsti(attack: Callable[[str], AttackRun]) -> None:
    """TIOCSTI fails on every descriptor and /dev/tty cannot be opened."""
    run = attack("37_tiocsti")
    assert_contained(run)
    assert_no_breach(run)


def test_every_attack_folder_has_a_test() -> None:
    """Each hostile submission folder is exercised by a test of this module."""
    source = Path(__file__).read_text(encoding="utf-8")
    assert [name for name in ATTACKS if f'"{name}"' not in source] == []


# -- the grader as instructors run it (the grade command) -------------------------------------


def grade(class_folder: Path, spec: Path, out: Path, scratch: Path, workers: str = "2",
          extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m conformance grade`` as an instructor runs it (its temporary files in ``scratch``)."""
    scratch.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(scratch), **(extra_env or {})}
    env.pop(preflight.FORCE_ENV, None)
    run = subprocess.run([sys.executable, "-m", "conformance", "grade", str(class_folder), "--specs", str(spec),
                          "--out", str(out), "-n", workers], capture_output=True, text=True, env=env, timeout=900,
                         cwd=REPO)
    assert run.returncode in (0, 1), f"the grader failed (status {run.returncode}):\n{run.stdout}\n{run.stderr}"
    return run


def grades(out: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    """Each submission's score and (name, status, score) per test, from its results.json."""
    found = {}
    for name in names:
        document = json.loads((out / name / "results.json").read_text(encoding="utf-8"))
        found[name] = {"score": document["score"],
                       "tests": sorted((t["name"], t["status"], t.get("score")) for t in document["tests"])}
    return found


def test_batch_with_every_attack_leaves_normal_grades_unchanged(canary: Canary, host: Host, specs: Specs,
                                                                lock_path: Path, tmp_path: Path) -> None:
    """Grading the corpus next to ada and ben (-n 2) gives them the grades they get alone; every attack scores 0."""
    normal = ["ada", "ben"]
    hostile = [name for name in ATTACKS if name not in NOT_IN_BATCH]
    alone, crowded = tmp_path / "alone", tmp_path / "crowded"
    for folder in (alone, crowded):
        for name in normal:
            (folder / name).mkdir(parents=True)
            shutil.copyfile(REPO / "examples" / name / "ipc_pipe.py", folder / name / "ipc_pipe.py")
    for name in hostile:
        stage(name, crowded / name, context(canary, host, specs), host.markers)
    with host_lock(lock_path, exclusive=True):
        before = Snapshot.take(host)
        canary.hits()
        grade(alone, specs.hostile, tmp_path / "out-alone", tmp_path / "tmp")
        grade(crowded, specs.hostile, tmp_path / "out-crowded", tmp_path / "tmp")
        hits = canary.hits()
        leftovers = before.leftovers(Snapshot.take(host))
    assert grades(tmp_path / "out-crowded", normal) == grades(tmp_path / "out-alone", normal)
    scored = {name: g["score"] for name, g in grades(tmp_path / "out-crowded", hostile).items() if g["score"]}
    assert scored == {}, f"hostile submissions that scored: {scored}"
    assert hits == [] and not leftovers, (hits, leftovers)


def test_25_forged_cache_is_never_reused(canary: Canary, host: Host, specs: Specs, lock_path: Path,
                                         tmp_path: Path) -> None:
    """Rewriting the grader's result cache from a box changes neither this run nor the next one that reuses it."""
    out = host.scratch / "out-25"  # outside /tmp, where a box could see it if nothing hid it
    folder = tmp_path / "class"
    for name, source in (("aa_template", specs.template), ("zz_overwrite", None)):
        if source is None:
            stage("25_overwrite_results", folder / name, context(canary, host, specs, out=out), host.markers)
        else:
            (folder / name).mkdir(parents=True)
            shutil.copyfile(source / "ipc_pipe.py", folder / name / "ipc_pipe.py")
    names = ["aa_template", "zz_overwrite"]
    try:
        with host_lock(lock_path, exclusive=False):
            grade(folder, specs.hostile, out, tmp_path / "tmp", workers="0")  # in order: the template is cached first
            first = grades(out, names)
            grade(folder, specs.hostile, out, tmp_path / "tmp", workers="0")  # reuses the cache
            second = grades(out, names)
        forged = sorted(p.name for p in out.rglob("hostile-box*"))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    assert second == first
    assert first["zz_overwrite"]["score"] == first["aa_template"]["score"] == 0
    assert forged == []


def test_30_31_payloads_never_run_in_the_grader(canary: Canary, host: Host, specs: Specs, lock_path: Path,
                                                tmp_path: Path) -> None:
    """conftest.py, ini files, .pth, a pytest11 plugin and shadow modules leave no marker when graded (-n 2)."""
    folder = tmp_path / "class"
    (folder / "aa_template").mkdir(parents=True)
    shutil.copyfile(specs.template / "ipc_pipe.py", folder / "aa_template" / "ipc_pipe.py")
    for name in ("30_startup_files", "31_import_shadowing"):
        stage(name, folder / name, context(canary, host, specs), host.markers)
    with host_lock(lock_path, exclusive=False):
        grade(folder, specs.hostile, tmp_path / "out", tmp_path / "tmp")
    found = grades(tmp_path / "out", ["aa_template", "30_startup_files", "31_import_shadowing"])
    assert sorted(os.listdir(host.markers)) == []
    assert found["30_startup_files"]["score"] == found["31_import_shadowing"]["score"] == found["aa_template"]["score"]


def test_22_grader_workers_are_not_dumpable(isolation: preflight.Isolation, specs: Specs, lock_path: Path,
                                            tmp_path: Path) -> None:
    """Every pytest worker of the grade command is non-dumpable once it has run a case (PR_GET_DUMPABLE == 0)."""
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "hostile_dumpable_probe.py").write_text(textwrap.dedent(DUMPABLE_PROBE), encoding="utf-8")
    records = tmp_path / "dumpable"
    records.mkdir()
    folder = tmp_path / "class" / "template"
    folder.mkdir(parents=True)
    shutil.copyfile(specs.template / "ipc_pipe.py", folder / "ipc_pipe.py")
    with host_lock(lock_path, exclusive=False):
        grade(folder.parent, specs.hostile, tmp_path / "out", tmp_path / "tmp",
              extra_env={"PYTEST_PLUGINS": "hostile_dumpable_probe", "HOSTILE_DUMPABLE_DIR": str(records),
                         "PYTHONPATH": f"{REPO}{os.pathsep}{plugin}"})
    flags = {path.name: path.read_text() for path in records.iterdir()}
    assert flags, "no worker reported its dumpable flag"
    assert set(flags.values()) == {"0"}, f"dumpable flag per worker pid: {flags}"
