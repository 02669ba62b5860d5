"""``observe`` steps: the runner looks at the kernel and summarises what it sees.

Each observation returns plain data that the step's ``kernel`` matcher judges, so a spec can
say ``{pipe_write_ends: 0}`` or ``{zombies: 0}`` without knowing how ``/proc`` is laid out.

* ``fds``: ``{"open": n, "pipe_read_ends": n, "pipe_write_ends": n, "sockets": n,
  "nonblocking": n}`` for the actor's process, leaving out 0-2 and its control channel.
* ``pipe``: ``{"readers": n, "writers": n}`` — how many descriptors, in every process of
  the box, refer to each end of the pipe that ``target`` (an fd of the actor) belongs to.
* ``processes``: ``{"count": n, "zombies": n, "children": n}`` — every process of the box
  except init; ``children`` counts the actor's own children (not the box's actors).
* ``blocked`` / ``running``: ``{"blocked": bool}``.
* ``exit``: waits for the actor to exit; judged by ``expect.exit``.
* ``sysv``: ``{"queues": n, "segments": n, "semaphore_sets": n, "msg": [...], "shm": [...],
  "sem": [...]}`` as the box's init reads ``/proc/sysvipc``; with ``target`` (a key), also
  ``queue``/``segment``/``semaphore_set``: that object's row or ``null``. Rows carry ``key``,
  ``id``, ``perms`` and, per kind, ``cbytes``/``qnum``/``lspid``/``lrpid``,
  ``size``/``cpid``/``lpid``/``nattch`` or ``nsems``.
* ``signals``: ``{"pending": [...], "blocked": [...], "ignored": [...], "caught": [...]}``,
  signal names from the kernel's view of the actor's process.
"""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING, Any

from conformance.runner import kernel
from conformance.runner.session import CaseTimeout, StepFailed
from conformance.spec.model import ObserveStep

if TYPE_CHECKING:
    from conformance.runner.steps import CaseExecution


def observe(run: CaseExecution, step: ObserveStep) -> Any:
    """Make the observation ``step`` asks for and return its summary."""
    if step.observe == "exit":
        return _exit(run, step)
    if step.observe == "processes":
        return _processes(run, step)
    if step.observe == "sysv":
        return _sysv(run, step)
    actor = run.session.actors[step.actor or ""]
    if actor.host_pid is None:
        raise StepFailed(f"'{actor.name}' never started, so there is nothing to observe")
    if step.observe == "fds":
        return _fds(actor)
    if step.observe == "pipe":
        return _pipe(run, actor.host_pid, run.value(step.target))
    if step.observe == "signals":
        sets = kernel.signal_sets(actor.host_pid)
        if sets is None:
            raise StepFailed(f"'{actor.name}' is gone, so its signal sets cannot be read")
        return sets
    return {"blocked": _settled_blocked(run, actor.host_pid, step.observe == "blocked")}


#: Seconds an ``observe: blocked`` waits for a process to settle into its blocked state.
_SETTLE = 1.0


def _settled_blocked(run: CaseExecution, pid: int, expecting_blocked: bool) -> bool:
    """Whether the process is blocked: sleeping, with no CPU time or switches moving.

    Expecting "blocked", it waits (up to :data:`_SETTLE` seconds, on the case deadline) for
    the process to get there: it may still be on its way into the call that blocks, and a
    single early look would say "running" under load. Expecting "running", three samples a
    few milliseconds apart decide.
    """
    state: dict[str, Any] = {"sample": None, "blocked": False, "looks": 0}

    def settled() -> bool:
        state["blocked"], state["sample"] = kernel.is_blocked(pid, state["sample"])
        state["looks"] += 1
        return bool(state["blocked"]) or (not expecting_blocked and state["looks"] >= 3)

    session = run.session
    deadline = session.deadline
    session.deadline = min(deadline, time.monotonic() + (_SETTLE if expecting_blocked else 0.05))
    try:
        session.wait_until(settled, "the process to settle", poll=0.003)
    except CaseTimeout:
        pass  # not blocked within the window: that is the observation
    finally:
        session.deadline = deadline
    return bool(state["blocked"])


def failure_sentence(step: ObserveStep, problem: str) -> str:
    """The student-facing sentence for a failed observation."""
    who = f"'{step.actor}'" if step.actor else "the box"
    what = {
        "fds": f"The descriptor table of {who} is not as it should be",
        "pipe": "The ends of the pipe are not held as they should be",
        "processes": "The processes of the case are not as they should be",
        "blocked": f"{who} should be blocked",
        "running": f"{who} should not be blocked",
    }.get(step.observe, f"Observation of {who} failed")
    return f"{what}: {problem}"


def leak_sentence(run: CaseExecution, step: ObserveStep, observed: Any, problem: str) -> str:
    """What a failed cleanup check left behind, and who made it, in the student's terms."""
    left = _leftovers(run, step, observed)
    where = f" by '{step.actor}'" if step.actor else ""
    return f"Something was left behind{where} ({problem}): {left}" if left else f"Something was left behind{where}: {problem}"


def _leftovers(run: CaseExecution, step: ObserveStep, observed: Any) -> str:
    if step.observe == "processes":
        names = {a.name for a in run.session.actors.values()}
        extra = [p for p in observed.get("list", []) if p["name"] not in names]
        state = {"Z": "a zombie: it exited and was never reaped"}
        return "; ".join(f"process {p['pid']} ({p['name']}, {state.get(p['state'], 'still running')}) "
                         f"created by '{p['parent']}'" for p in extra)
    if step.observe == "sysv":
        rows = [(kind, row) for kind in ("msg", "shm", "sem") for row in observed.get(kind, [])]
        words = {"msg": "message queue", "shm": "shared memory segment", "sem": "semaphore set"}
        return "; ".join(f"{words[kind]} with key {row['key']:#x}{_sysv_owner(run, kind, row)}" for kind, row in rows)
    if step.observe == "fds" and step.actor:
        actor = run.session.actors[step.actor]
        return ", ".join(f"descriptor {d.fd} ({d.target}, {d.mode})" for d in _own_descriptors(actor)) if actor.host_pid else ""
    return ""


def _sysv_owner(run: CaseExecution, kind: str, row: dict[str, int]) -> str:
    pid = row.get("cpid") if kind == "shm" else row.get("lspid") if kind == "msg" else None
    if not pid:
        return ""
    owner = next((a.name for a in run.session.actors.values() if a.box_pid == pid), f"pid {pid}")
    verb = "created by" if kind == "shm" else "last written by"
    return f" ({verb} '{owner}')"


def _exit(run: CaseExecution, step: ObserveStep) -> dict[str, Any]:
    actor = run.session.actors[step.actor or ""]
    run.session.wait_until(lambda: actor.exited, f"'{actor.name}' to exit")
    status = actor.exit_status or 0
    if os.WIFSIGNALED(status):
        observed: dict[str, Any] = {"signal": signal.Signals(os.WTERMSIG(status)).name}
    else:
        observed = {"code": os.WEXITSTATUS(status)}
    wanted = step.expect.exit
    if wanted is not None and any(observed.get(key) != value for key, value in wanted.items()):
        words = ", ".join(f"{k} {v}" for k, v in wanted.items())
        raise StepFailed(f"'{actor.name}' should have exited with {words}, but it {run.exit_words(actor)}",
                         expected=words, observed=run.exit_words(actor),
                         crash_signal=observed.get("signal", "") if "signal" not in wanted else "")
    run.log(f"grader: '{actor.name}' {run.exit_words(actor)}")
    return observed


def _own_descriptors(actor: Any) -> list[kernel.Descriptor]:
    """The actor's descriptors, leaving out stdio and its channel to the grader."""
    return [d for d in kernel.descriptors(actor.host_pid) if d.fd > 2 and d.fd != actor.channel_fd]


def _fds(actor: Any) -> dict[str, int]:
    own = _own_descriptors(actor)
    return {
        "open": len(own),
        "pipe_read_ends": sum(1 for d in own if d.pipe_inode is not None and d.mode == "r"),
        "pipe_write_ends": sum(1 for d in own if d.pipe_inode is not None and d.mode == "w"),
        "sockets": sum(1 for d in own if d.target.startswith("socket:")),
        "nonblocking": sum(1 for d in own if d.nonblocking),
    }


def _pipe(run: CaseExecution, pid: int, fd: Any) -> dict[str, int]:
    descriptor = next((d for d in kernel.descriptors(pid) if d.fd == fd), None)
    if descriptor is None or descriptor.pipe_inode is None:
        raise StepFailed(f"descriptor {fd} is not an open pipe end in that process")
    counts = {"readers": 0, "writers": 0}
    for process in _box_processes(run):
        for d in kernel.descriptors(process):
            if d.pipe_inode == descriptor.pipe_inode:
                counts["readers" if d.mode == "r" else "writers"] += 1
    return counts


def _box_processes(run: CaseExecution) -> list[int]:
    init = run.session.init_pid
    return kernel.descendants(init) if init else []


def _sysv(run: CaseExecution, step: ObserveStep) -> dict[str, Any]:
    """The box's SysV objects, counted, listed, and (with ``target``) the one at that key."""
    if not run.session.isolated:
        raise StepFailed("the box's SysV objects cannot be told apart from the host's without an IPC namespace")
    objects = kernel.parse_sysvipc(run.session.ask_init("sysv"))
    summary: dict[str, Any] = {"queues": len(objects["msg"]), "segments": len(objects["shm"]),
                               "semaphore_sets": len(objects["sem"]), **objects}
    if step.target is not None:
        key = run.value(step.target)
        for kind, name in (("msg", "queue"), ("shm", "segment"), ("sem", "semaphore_set")):
            summary[name] = next((row for row in objects[kind] if row["key"] == key), None)
    return summary


def _processes(run: CaseExecution, step: ObserveStep) -> dict[str, Any]:
    actor_pids = {a.host_pid for a in run.session.actors.values()}
    views = [s for s in (kernel.stat(p) for p in _box_processes(run)) if s is not None]
    summary: dict[str, Any] = {"count": len(views), "zombies": sum(1 for s in views if s.state == "Z")}
    if step.actor:
        pid = run.session.actors[step.actor].host_pid
        summary["children"] = sum(1 for s in views if s.ppid == pid and s.pid not in actor_pids)
    names = {a.host_pid: a.name for a in run.session.actors.values()}
    summary["list"] = [{"pid": kernel.box_pid(s.pid), "name": names.get(s.pid, s.comm), "state": s.state,
                        "parent": names.get(s.ppid, str(kernel.box_pid(s.ppid)))} for s in views]
    return summary
