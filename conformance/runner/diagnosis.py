"""Explain a hang from the kernel's point of view, in words a student can act on.

When a case times out, the runner snapshots every process of the box and this module turns
the snapshot into sentences: what each process is doing (the system call it is blocked in,
or "running"), and for pipes, who still holds which end. The classic bug — a reader waiting
for end-of-file while a forgotten copy of the write end is still open, often in the reader
itself — is named outright with the descriptor number to close.
"""

from __future__ import annotations

from conformance.runner.kernel import ProcessView

# Names of the system calls a hung process may be found in, for the student's eyes: a
# table of words, nothing here waits ("nanosleep" is what a *student's* sleeping code shows).
_CALL_WORDS = {
    "read": "read()", "write": "write()", "wait4": "waiting for a child to exit (wait)",
    "waitid": "waiting for a child to exit (waitid)", "msgrcv": "msgrcv() on a message queue",
    "msgsnd": "msgsnd() on a full message queue", "semop": "semop() on a semaphore",
    "semtimedop": "semop() on a semaphore", "accept": "accept()", "accept4": "accept()",
    "recvfrom": "recv()", "recvmsg": "recvmsg()", "connect": "connect()", "openat": "open()",
    "open": "open()", "poll": "poll()", "ppoll": "poll()", "select": "select()",
    "pselect6": "select()", "pause": "pause()", "rt_sigsuspend": "sigsuspend()",
    "futex": "a lock or condition (futex)", "nanosleep": "sleep()", "clock_nanosleep": "sleep()",
    "flock": "flock()", "fcntl": "fcntl() (a file lock?)", "epoll_wait": "epoll_wait()",
}


def explain(processes: list[ProcessView], names: dict[int, str]) -> str:
    """Sentences describing every process and, for pipe waits, who holds the other end.

    Args:
        processes: snapshots of every process in the box.
        names: host pid → how to call that process (actor names); others are named by pid.
    """
    if not processes:
        return "No process of the case was still running."
    lines = [f"- {_name(p, names)} is {_activity(p)}" for p in processes]
    for process in processes:
        lines.extend(_pipe_findings(process, processes, names))
    return "\n".join(lines)


def name_of(process: ProcessView, names: dict[int, str]) -> str:
    return _name(process, names)


def _name(process: ProcessView, names: dict[int, str]) -> str:
    if process.pid in names:
        return f"'{names[process.pid]}' (pid {process.box_pid})"
    parent = next((name for pid, name in names.items() if pid == process.ppid), None)
    suffix = f", a child of '{parent}'" if parent else ""
    return f"process {process.box_pid} ({process.comm}{suffix})"


def _activity(process: ProcessView) -> str:
    if process.state in ("Z", "X"):
        return process.state_words
    if process.state == "R" or not process.syscall:
        return "running (using the CPU, not blocked in a system call)" if process.state == "R" else process.state_words
    call = _CALL_WORDS.get(process.syscall, process.syscall + "()")
    where = ""
    descriptor = _descriptor(process, process.syscall_arg0)
    if descriptor is not None and process.syscall in ("read", "write"):
        kind = "pipe" if descriptor.pipe_inode is not None else descriptor.target
        where = f" on descriptor {descriptor.fd} ({kind})"
    return f"blocked in {call}{where}"


def _descriptor(process: ProcessView, fd: int | None):  # type: ignore[no-untyped-def]
    if fd is None:
        return None
    return next((d for d in process.descriptors if d.fd == fd), None)


def _pipe_findings(process: ProcessView, everyone: list[ProcessView], names: dict[int, str]) -> list[str]:
    descriptor = _descriptor(process, process.syscall_arg0)
    if descriptor is None or descriptor.pipe_inode is None or process.state not in ("S", "D"):
        return []
    inode = descriptor.pipe_inode
    if process.syscall == "read":
        holders = _holders(everyone, inode, "w")
        if not holders:
            return []
        where = "; ".join(f"{_name(p, names)} holds it as descriptor {fd}" for p, fd in holders)
        advice = "close the end you do not use" if any(p.pid == process.pid for p, _ in holders) else (
            "every process that does not write must close its copy of the write end")
        return [f"  The pipe that {_name(process, names)} reads from has no data, and its write end is "
                f"still open, so end-of-file never comes: {where}. {advice[0].upper() + advice[1:]}."]
    if process.syscall == "write":
        holders = _holders(everyone, inode, "r")
        readers = "; ".join(f"{_name(p, names)} (descriptor {fd})" for p, fd in holders) or "nobody"
        return [f"  The pipe that {_name(process, names)} writes to is full; its read end is held by {readers}, "
                "and no one is reading it. Read and write at the same time, or read before writing more."]
    return []


def _holders(everyone: list[ProcessView], inode: int, mode: str) -> list[tuple[ProcessView, int]]:
    return [(p, d.fd) for p in everyone for d in p.descriptors if d.pipe_inode == inode and mode in d.mode]
