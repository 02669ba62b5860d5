"""After every case: prove the box is gone, and remove what degraded isolation leaves.

With full isolation the kernel does the cleaning (pid 1 killed → every process of the PID
namespace killed; IPC, network and mount namespaces freed with their last member). The
audit still checks, because "everything a box created dies with it" is a claim to verify,
not to assume: no process seen in the box may still exist, and no process on the host may
still be in the box's PID namespace.
"""

from __future__ import annotations

import os
import shutil
import signal

from conformance.runner import kernel


def pid_namespace(pid: int) -> str | None:
    """The PID namespace of ``pid`` as ``pid:[inode]``, or ``None`` if it is gone."""
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def kill_tree(root: int) -> None:
    """SIGKILL every descendant of ``root`` until none is left (degraded isolation).

    Repeats because a process may fork between the scan and the kill; init is a child
    subreaper, so double-forked daemons are still its descendants.
    """
    for _ in range(100):
        victims = kernel.descendants(root)
        if not victims:
            return
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in victims:  # reap what init may not get to before it is killed itself
            _wait_gone(pid)


def _wait_gone(pid: int) -> None:
    state = kernel.stat(pid)
    if state is None or state.state in ("Z", "X"):
        return


def leftovers(seen: set[int], namespace: str | None, workdir: str | None) -> str:
    """Describe anything of the box that survived teardown; empty when all is gone."""
    alive = sorted(pid for pid in seen if _alive(pid))
    if namespace is not None:
        alive.extend(sorted(p for p in _pids() if p not in alive and pid_namespace(p) == namespace))
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)
    if alive:
        return f"{len(alive)} process(es) still running: {', '.join(map(str, alive[:10]))}"
    return ""


def _alive(pid: int) -> bool:
    state = kernel.stat(pid)
    return state is not None and state.state not in ("Z", "X")


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]
