"""What the kernel says about a box's processes, read from the host's ``/proc``.

These observations are the trusted side's own eyes: a process's scheduler state, the system
call it is blocked in, its descriptor table, its children. Student code cannot forge them
(it can only change what they show by really doing something), which is why verdicts and
hang diagnoses rest on them rather than on what an actor says about itself.

All functions take *host* pids and tolerate processes vanishing mid-read (a process can
exit at any moment); a vanished process simply yields ``None`` or is left out.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field

# System call numbers that matter for explaining a hang, by architecture.
_SYSCALLS = {
    "x86_64": {0: "read", 1: "write", 7: "poll", 23: "select", 34: "pause", 35: "nanosleep",
               43: "accept", 44: "sendto", 45: "recvfrom", 46: "sendmsg", 47: "recvmsg",
               61: "wait4", 68: "msgget", 69: "msgsnd", 70: "msgrcv", 64: "semop", 65: "semop",
               202: "futex", 230: "clock_nanosleep", 232: "epoll_wait", 247: "waitid",
               257: "openat", 2: "open", 270: "pselect6", 271: "ppoll", 288: "accept4",
               220: "semtimedop", 42: "connect", 130: "rt_sigsuspend", 128: "rt_sigtimedwait",
               72: "fcntl", 73: "flock"},
    "aarch64": {63: "read", 64: "write", 73: "ppoll", 72: "pselect6", 202: "accept", 242: "accept4",
                206: "sendto", 207: "recvfrom", 211: "sendmsg", 212: "recvmsg", 260: "wait4",
                186: "msgget", 189: "msgsnd", 188: "msgrcv", 193: "semop", 192: "semtimedop",
                98: "futex", 115: "clock_nanosleep", 101: "nanosleep", 22: "epoll_pwait", 95: "waitid",
                56: "openat", 203: "connect", 133: "rt_sigsuspend", 137: "rt_sigtimedwait",
                25: "fcntl", 32: "flock"},
}.get(platform.machine(), {})

_STATE_WORDS = {"R": "running", "S": "sleeping", "D": "in uninterruptible wait", "T": "stopped",
                "t": "stopped by a tracer", "Z": "a zombie (exited, not reaped)", "X": "dead", "I": "idle"}


@dataclass(frozen=True, kw_only=True, slots=True)
class Stat:
    """The fields of ``/proc/<pid>/stat`` the runner uses."""

    pid: int
    comm: str
    state: str
    ppid: int
    session: int
    #: User plus system CPU time, in clock ticks.
    cpu_ticks: int
    #: Start time after boot, in clock ticks: with the pid, it names one process for good
    #: (a pid alone may be reused by an unrelated process).
    start: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class Descriptor:
    """One open descriptor of a process."""

    fd: int
    #: What ``readlink /proc/<pid>/fd/<fd>`` shows, e.g. ``pipe:[1234]``.
    target: str
    #: ``r``, ``w`` or ``rw``, from the open file description's access mode.
    mode: str
    nonblocking: bool

    @property
    def pipe_inode(self) -> int | None:
        if self.target.startswith("pipe:["):
            return int(self.target[6:-1])
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class ProcessView:
    """Everything the runner knows about one process at one moment."""

    pid: int
    #: The pid as the box sees it (its PID namespace), shown to students.
    box_pid: int
    ppid: int
    comm: str
    state: str
    wchan: str
    #: The system call it is in (``read``, ``wait4``, ...) or ``""`` when running.
    syscall: str
    #: The first argument of that call (for read/write: the descriptor).
    syscall_arg0: int | None
    descriptors: tuple[Descriptor, ...] = field(default_factory=tuple)

    @property
    def state_words(self) -> str:
        return _STATE_WORDS.get(self.state, self.state)


def stat(pid: int) -> Stat | None:
    """Parse ``/proc/<pid>/stat``; ``None`` if the process is gone."""
    text = _read(f"/proc/{pid}/stat")
    if text is None:
        return None
    # comm may contain spaces and parentheses: split at the *last* ')'.
    head, _, rest = text.rpartition(")")
    fields = rest.split()
    return Stat(pid=pid, comm=head.partition("(")[2], state=fields[0], ppid=int(fields[1]),
                session=int(fields[3]), cpu_ticks=int(fields[11]) + int(fields[12]), start=int(fields[19]))


def context_switches(pid: int) -> int | None:
    """Voluntary plus involuntary context switches; they move whenever the process runs."""
    text = _read(f"/proc/{pid}/status")
    if text is None:
        return None
    total = 0
    for line in text.splitlines():
        if "ctxt_switches:" in line:  # voluntary_ and nonvoluntary_
            total += int(line.split()[-1])
    return total


def box_pid(pid: int) -> int:
    """The pid in the innermost PID namespace (``NSpid``'s last field); ``pid`` itself when
    the process is gone (use :func:`box_pid_or_none` where that must be told apart)."""
    found = box_pid_or_none(pid)
    return pid if found is None else found


def box_pid_or_none(pid: int) -> int | None:
    """The pid in the innermost PID namespace, or ``None`` if the process is gone."""
    text = _read(f"/proc/{pid}/status")
    if text is None:
        return None
    for line in text.splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    return pid


def descendants(pid: int) -> list[int]:
    """Every descendant of ``pid`` (children of all its threads, recursively)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        for child in _children(current):
            found.append(child)
            pending.append(child)
    return found


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return children
    for task in tasks:
        text = _read(f"/proc/{pid}/task/{task}/children")
        if text:
            children.extend(int(word) for word in text.split())
    return children


def descriptors(pid: int) -> tuple[Descriptor, ...]:
    """The open descriptors of a process (empty if it is gone)."""
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return ()
    found = []
    for name in sorted(names, key=int):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        flags = _fd_flags(pid, name)
        found.append(Descriptor(fd=int(name), target=target, mode=_access_mode(flags),
                                nonblocking=bool(flags & os.O_NONBLOCK)))
    return tuple(found)


def _fd_flags(pid: int, fd: str) -> int:
    text = _read(f"/proc/{pid}/fdinfo/{fd}") or ""
    for line in text.splitlines():
        if line.startswith("flags:"):
            return int(line.split()[1], 8)
    return 0


def _access_mode(flags: int) -> str:
    return {os.O_RDONLY: "r", os.O_WRONLY: "w"}.get(flags & os.O_ACCMODE, "rw")


def view(pid: int) -> ProcessView | None:
    """A full snapshot of one process, or ``None`` if it is gone."""
    current = stat(pid)
    if current is None:
        return None
    syscall, arg0 = _syscall(pid)
    return ProcessView(pid=pid, box_pid=box_pid(pid), ppid=current.ppid, comm=current.comm,
                       state=current.state, wchan=(_read(f"/proc/{pid}/wchan") or "").strip("0\n"),
                       syscall=syscall, syscall_arg0=arg0, descriptors=descriptors(pid))


def _syscall(pid: int) -> tuple[str, int | None]:
    text = (_read(f"/proc/{pid}/syscall") or "").split()
    if not text or text[0] in ("running", "-1"):
        return "", None
    number = int(text[0])
    arg0 = int(text[1], 16) if len(text) > 1 else None
    return _SYSCALLS.get(number, f"syscall {number}"), arg0


def is_blocked(pid: int, before: tuple[int, int] | None) -> tuple[bool, tuple[int, int] | None]:
    """One sample of "is this process blocked?".

    A process counts as blocked when it sleeps (state S or D) and has not run since the
    previous sample: its CPU time and context-switch count are unchanged. A process that
    merely sleeps briefly between bursts of work moves those counters, so two samples
    distinguish "blocked in a call" from "busy". Returns the verdict and this sample.
    """
    current = stat(pid)
    switches = context_switches(pid)
    if current is None or switches is None:
        return False, None
    sample = (current.cpu_ticks, switches)
    sleeping = current.state in ("S", "D")
    return sleeping and before == sample, sample


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


#: Columns of /proc/sysvipc/<kind> kept for observations (all integers).
_SYSV_COLUMNS = {
    "msg": ("key", "id", "perms", "cbytes", "qnum", "lspid", "lrpid"),
    "shm": ("key", "id", "perms", "size", "cpid", "lpid", "nattch"),
    "sem": ("key", "id", "perms", "nsems"),
}


def parse_sysvipc(texts: dict[str, str]) -> dict[str, list[dict[str, int]]]:
    """Parse the ``/proc/sysvipc/{msg,shm,sem}`` texts (as init read them inside the box).

    ``perms`` is octal in the file and kept as its integer value (so 0o600 → 384).
    """
    parsed: dict[str, list[dict[str, int]]] = {}
    for kind, columns in _SYSV_COLUMNS.items():
        rows = []
        for line in (texts.get(kind) or "").splitlines()[1:]:
            fields = line.split()
            if len(fields) < len(columns):
                continue
            row = {name: int(value, 8) if name == "perms" else int(value) for name, value in zip(columns, fields, strict=False)}
            rows.append(row)
        parsed[kind] = rows
    return parsed


def signal_sets(pid: int) -> dict[str, list[str]] | None:
    """The process's signal sets from ``/proc/<pid>/status``, as sorted signal names.

    ``pending`` merges the thread's and the process's pending sets (SigPnd, ShdPnd);
    ``blocked``, ``ignored`` and ``caught`` (a handler is installed) are SigBlk, SigIgn and
    SigCgt. The kernel's own view: a handler that lies about what it did cannot change it.
    """
    import signal as _signal

    text = _read(f"/proc/{pid}/status")
    if text is None:
        return None
    masks = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt"):
            masks[name] = int(value.strip(), 16)

    def names(mask: int) -> list[str]:
        found = []
        for number in range(1, 65):
            if mask & (1 << (number - 1)):
                try:
                    found.append(_signal.Signals(number).name)
                except ValueError:
                    found.append(f"SIG{number}")
        return sorted(found)

    return {
        "pending": names(masks.get("SigPnd", 0) | masks.get("ShdPnd", 0)),
        "blocked": names(masks.get("SigBlk", 0)),
        "ignored": names(masks.get("SigIgn", 0)),
        "caught": names(masks.get("SigCgt", 0)),
    }
