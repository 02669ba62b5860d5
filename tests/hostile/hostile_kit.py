"""What every hostile submission shares; the tests copy it next to each ``ipc_pipe.py``.

A hostile ``make_pipe()`` runs its attack, prints one line the tests read back from the
box's output (``HOSTILE-REPORT {"attack", "breaches", "notes"}``) and returns a forged
answer: two integers that are not a pipe, so that only a grader believing the module
instead of the kernel would give it the point. A *breach* is an attack step that worked
and should not have; an empty list means every defence the probe could check held.

Attacks that must last while the neighbour case runs (holding processes, memory, pipe
buffers) print ``HOSTILE-ARMED`` once in place and then block until the box is killed.

``hostile.json`` (written by the tests next to the module) says what an attacker could
guess or learn elsewhere: the canary's pid (standing in for the grader), the grader's
pid and PID namespace, names the host holds, paths of the grader's files.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
from collections.abc import Callable
from typing import Any

ARMED = "HOSTILE-ARMED"
REPORT = "HOSTILE-REPORT"

libc = ctypes.CDLL(None, use_errno=True)

#: System call numbers the standard library has no wrapper for (x86_64, aarch64).
SYSCALLS = {
    "x86_64": {"keyctl": 250, "io_uring_setup": 425, "process_vm_readv": 310},
    "aarch64": {"keyctl": 219, "io_uring_setup": 425, "process_vm_readv": 270},
}
PTRACE_ATTACH = 16
PTRACE_DETACH = 17


def context() -> dict[str, Any]:
    """What the tests told the submission (``hostile.json`` next to this file), or ``{}``."""
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile.json"), encoding="utf-8") as handle:
            return dict(json.load(handle))
    except (OSError, ValueError):
        return {}


class Probe:
    """Collects what an attack achieved, and prints it as one report line."""

    def __init__(self, attack: str) -> None:
        self.attack = attack
        self.breaches: list[str] = []
        self.notes: dict[str, Any] = {}

    def breach(self, text: str) -> None:
        self.breaches.append(text)

    def note(self, key: str, value: Any) -> None:
        self.notes[key] = value

    def must_fail(self, label: str, action: Callable[[], object]) -> None:
        """Run ``action``; it is a breach if it succeeds. The error is kept as a note."""
        try:
            action()
        except OSError as exc:
            self.notes[label] = errno.errorcode.get(exc.errno or 0, str(exc))
        except (ValueError, TypeError, ctypes.ArgumentError) as exc:
            self.notes[label] = type(exc).__name__
        else:
            self.breach(f"{label} succeeded")

    def must_fail_raw(self, label: str, result: int) -> None:
        """A raw libc result: ``-1`` (with errno) is the wanted failure, anything else a breach."""
        if result == -1:
            self.notes[label] = errno.errorcode.get(ctypes.get_errno(), "?")
        else:
            self.breach(f"{label} succeeded (returned {result})")

    def report(self) -> None:
        line = json.dumps({"attack": self.attack, "breaches": self.breaches, "notes": self.notes}, default=str)
        print(f"{REPORT} {line[:3500]}", flush=True)


def armed() -> None:
    """Tell the tests the attack is in place (they then let the neighbour case go on)."""
    print(ARMED, flush=True)


def forged() -> tuple[int, int]:
    """The forged answer: two descriptor numbers that exist but are not a pipe."""
    return (0, 1)


def hold_forever() -> None:
    """Block until the box is killed (read a pipe no one will ever write)."""
    read_end, _write_end = os.pipe()
    while True:
        os.read(read_end, 1)


def box_pids() -> list[int]:
    """Every pid this process can see in /proc."""
    return sorted(int(name) for name in os.listdir("/proc") if name.isdigit())


def in_own_pid_namespace() -> bool:
    """Whether this process sits in a PID namespace other than the grader's.

    Attacks that would harm the whole machine if they escaped (``kill(-1)``,
    ``setpriority(PRIO_USER)``) check this first and report a breach instead of firing.
    """
    grader = context().get("host_pid_namespace")
    try:
        mine = os.readlink("/proc/self/ns/pid")
    except OSError:
        return False
    return bool(grader) and mine != grader


def syscall(name: str, *args: Any) -> int:
    """A raw system call by name; ``-1`` with errno set on failure (ENOSYS if unknown here)."""
    number = SYSCALLS.get(platform.machine(), {}).get(name)
    if number is None:
        ctypes.set_errno(errno.ENOSYS)
        return -1
    return int(libc.syscall(ctypes.c_long(number), *args))


def ptrace_attach(pid: int) -> int:
    """``ptrace(PTRACE_ATTACH, pid)``; detaches again if it worked."""
    result = int(libc.ptrace(ctypes.c_long(PTRACE_ATTACH), ctypes.c_long(pid), None, None))
    if result == 0:
        libc.ptrace(ctypes.c_long(PTRACE_DETACH), ctypes.c_long(pid), None, None)
    return result


class _IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]


def process_vm_readv(pid: int, address: int, size: int = 64) -> int:
    """Copy ``size`` bytes at ``address`` of ``pid`` into this process; bytes read or -1."""
    buffer = ctypes.create_string_buffer(size)
    local = _IoVec(ctypes.cast(buffer, ctypes.c_void_p), size)
    remote = _IoVec(ctypes.c_void_p(address), size)
    return syscall("process_vm_readv", ctypes.c_int(pid), ctypes.byref(local), ctypes.c_ulong(1),
                   ctypes.byref(remote), ctypes.c_ulong(1), ctypes.c_ulong(0))


def first_mapping(pid: int) -> int:
    """The start address of ``pid``'s first mapping (0 when its maps cannot be read)."""
    try:
        with open(f"/proc/{pid}/maps", encoding="ascii") as handle:
            return int(handle.readline().split("-")[0], 16)
    except (OSError, ValueError):
        return 0


def read_file(path: str, size: int = 64) -> bytes:
    """The first bytes of a file (raises ``OSError`` when it cannot be read)."""
    with open(path, "rb") as handle:
        return handle.read(size)


def list_dir(path: str) -> list[str]:
    """A folder's entries; an empty folder counts as "nothing revealed" (raises on error)."""
    entries = os.listdir(path)
    if not entries:
        raise FileNotFoundError(errno.ENOENT, "empty folder", path)
    return entries
