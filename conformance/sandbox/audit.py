"""After every case: prove the box is gone, and remove what degraded isolation leaves.

With full isolation the kernel does the cleaning (pid 1 killed → every process of the PID
namespace killed; IPC, network and mount namespaces freed with their last member). The
audit still checks, because "everything a box created dies with it" is a claim to verify,
not to assume: no process seen in the box may still exist, and no process on the host may
still be in the box's PID namespace.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterator

from conformance.runner import kernel


def pid_namespace(pid: int) -> str | None:
    """The PID namespace of ``pid`` as ``pid:[inode]``, or ``None`` if it is gone."""
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


@contextlib.contextmanager
def pinned_pid_namespace(pid: int | None) -> Iterator[str | None]:
    """The PID namespace of ``pid`` (``pid:[inode]``), held open while the block runs.

    Namespace inode numbers are recycled as soon as a namespace is freed: without holding
    it, a box started meanwhile by another worker may get the same number, and its
    processes would look like survivors of this one. Holding the namespace file keeps the
    number taken; it keeps no process alive.
    """
    handle = None
    if pid is not None:
        with contextlib.suppress(OSError):
            handle = os.open(f"/proc/{pid}/ns/pid", os.O_RDONLY)
    try:
        yield f"pid:[{os.fstat(handle).st_ino}]" if handle is not None else None
    finally:
        if handle is not None:
            os.close(handle)


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


def identities(pids: set[int]) -> set[tuple[int, int]]:
    """(pid, start time) of each process that exists now: a pid alone may be reused."""
    found = set()
    for pid in pids:
        state = kernel.stat(pid)
        if state is not None:
            found.add((pid, state.start))
    return found


def leftovers(seen: set[tuple[int, int]], namespace: str | None, workdir: str | None) -> str:
    """Describe anything of the box that survived teardown; empty when all is gone.

    Args:
        seen: (pid, start time) of every process seen in the box before teardown.
        namespace: the box's PID namespace (``pid:[inode]``) when it had one.
        workdir: a degraded box's private folder, removed here.
    """
    alive = sorted(pid for pid, start in seen if _alive(pid, start))
    if namespace is not None:
        alive.extend(sorted(p for p in _pids() if p not in alive and pid_namespace(p) == namespace))
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)
    if alive:
        described = []
        for pid in alive[:10]:
            state = kernel.stat(pid)
            described.append(f"{pid} ({state.comm}, state {state.state}, parent {state.ppid})" if state else str(pid))
        return f"{len(alive)} process(es) still running: {', '.join(described)}"
    return ""


def sysv_snapshot() -> dict[str, dict[int, list[str]]]:
    """The host's SysV objects by kind and id (the fields of ``/proc/sysvipc/<kind>``)."""
    snapshot: dict[str, dict[int, list[str]]] = {}
    for kind in ("msg", "shm", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}", encoding="ascii") as handle:
                rows = [line.split() for line in handle.readlines()[1:]]
        except OSError:
            rows = []
        snapshot[kind] = {int(row[1]): row for row in rows}
    return snapshot


def remove_new_sysv(before: dict[str, dict[int, list[str]]]) -> list[str]:
    """Degraded isolation: remove the SysV objects created since ``before``.

    Without an IPC namespace objects outlive their creator, and ``/proc/sysvipc`` does not
    say which process created a queue, so ownership is established by time instead: degraded
    boxes run one at a time (see :func:`degraded_lock`), and whatever our user created while
    the box ran is the box's. Returns a description of each object removed.
    """
    import sysv_ipc

    removers = {"msg": sysv_ipc.remove_message_queue, "shm": sysv_ipc.remove_shared_memory,
                "sem": sysv_ipc.remove_semaphore}
    uid_column = {"msg": 9, "shm": 9, "sem": 6}  # cuid
    removed = []
    for kind, objects in sysv_snapshot().items():
        for ident, row in objects.items():
            if ident in before.get(kind, {}) or int(row[uid_column[kind]]) != os.getuid():
                continue
            try:
                removers[kind](ident)
                removed.append(f"{kind} key {int(row[0]):#x}")
            except sysv_ipc.Error:
                pass
    return removed


#: Shared folders a degraded box can write to (a full box gets private tmpfs mounts instead).
SHARED_DIRS = ("/tmp", "/dev/shm")


def shared_entries() -> set[str]:
    """Paths currently in the shared folders (one level deep)."""
    found: set[str] = set()
    for folder in SHARED_DIRS:
        try:
            found.update(os.path.join(folder, name) for name in os.listdir(folder))
        except OSError:
            pass
    return found


def remove_new_special_files(before: set[str]) -> list[str]:
    """Degraded isolation: remove FIFOs and sockets created in the shared folders since ``before``.

    Like isolate, only special files are removed: a regular file or folder that appeared
    at the same time could belong to someone else on the host, so it is reported instead.
    Returns a description of every new entry, removed or not.
    """
    found = []
    for path in sorted(shared_entries() - before):
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if info.st_uid != os.getuid():
            continue
        if stat.S_ISFIFO(info.st_mode) or stat.S_ISSOCK(info.st_mode):
            with contextlib.suppress(OSError):
                os.unlink(path)
            found.append(f"{path} (removed)")
        else:
            found.append(path)
    return found


@contextlib.contextmanager
def degraded_lock() -> Iterator[None]:
    """Run one degraded box at a time on this host (all workers, all graders of this user).

    Without namespaces, parallel boxes would share keys, ports and paths, and leftovers
    could not be told apart; serialising them is slower but keeps grades right.
    """
    path = os.path.join(tempfile.gettempdir(), f"conformance-degraded-{os.getuid()}.lock")
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _alive(pid: int, start: int) -> bool:
    state = kernel.stat(pid)
    return state is not None and state.start == start and state.state not in ("Z", "X")


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]
