"""ctypes bindings for the few libc calls Python 3.11 does not expose.

``os.unshare`` and ``os.setns`` only arrived in 3.12; ``mount``, ``prctl`` and ``capset`` have
no stdlib wrapper at all. Every binding below names its C prototype; all of them set
``errno``, which :func:`check` turns into an ``OSError`` naming the call.
"""

from __future__ import annotations

import ctypes
import os

_libc = ctypes.CDLL(None, use_errno=True)

# unshare(2) flags (linux/sched.h).
CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

# mount(2) flags (linux/mount.h).
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_RDONLY = 0x1
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000

# prctl(2) options (linux/prctl.h).
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24


def check(result: int, what: str) -> int:
    """Raise ``OSError`` for a ``-1`` result, naming the call and the errno."""
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def unshare(flags: int) -> None:
    """``int unshare(int flags)``: move the caller into new namespaces.

    A new PID namespace does not take the caller itself; its *next child* becomes pid 1.
    """
    check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    """``int mount(const char *source, const char *target, const char *fstype,
    unsigned long flags, const void *data)``."""
    check(
        _libc.mount(
            source.encode(),
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def prctl(option: int, arg: int) -> None:
    """``int prctl(int option, unsigned long arg2, ...)`` with the other arguments zero."""
    zero = ctypes.c_ulong(0)
    check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), zero, zero, zero), "prctl")


class _CapHeader(ctypes.Structure):
    # struct __user_cap_header_struct { __u32 version; int pid; };
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    # struct __user_cap_data_struct { __u32 effective, permitted, inheritable; };
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


_LINUX_CAPABILITY_VERSION_3 = 0x20080522


def drop_capabilities() -> None:
    """``int capset(cap_user_header_t, const cap_user_data_t)`` with every set empty.

    A fork-only sandbox never ``execve``s, so without this the actor would keep every
    capability it holds as root (or as the creator of a user namespace).
    """
    # The bounding set first (that needs CAP_SETPCAP, which capset is about to remove): a
    # capability out of it can never come back, not even through a setuid binary.
    for capability in range(64):
        if _libc.prctl(ctypes.c_int(PR_CAPBSET_DROP), ctypes.c_ulong(capability), 0, 0, 0) == -1:
            break  # EINVAL past the last capability the kernel knows
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()  # version 3 uses two 32-bit words per set, all zero here
    check(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


class _MountAttr(ctypes.Structure):
    # struct mount_attr { __u64 attr_set, attr_clr, propagation, userns_fd; };
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


_SYS_MOUNT_SETATTR = 442  # the same number on x86_64 and aarch64 (generic syscall table)
_AT_FDCWD = -100
_AT_RECURSIVE = 0x8000
_MOUNT_ATTR_RDONLY = 0x1


def make_tree_readonly(path: str) -> None:
    """``mount_setattr(AT_FDCWD, path, AT_RECURSIVE, {RDONLY})``: every mount under ``path``
    becomes read-only at once (Linux 5.12+). A plain remount would only change the top
    mount and leave every mount below it writable."""
    attr = _MountAttr(_MOUNT_ATTR_RDONLY, 0, 0, 0)
    check(_libc.syscall(ctypes.c_long(_SYS_MOUNT_SETATTR), ctypes.c_int(_AT_FDCWD), path.encode(),
                        ctypes.c_uint(_AT_RECURSIVE), ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr))),
          f"mount_setattr {path}")


def sethostname(name: str) -> None:
    """``int sethostname(const char *name, size_t len)``; only inside a UTS namespace."""
    raw = name.encode()
    check(_libc.sethostname(raw, ctypes.c_size_t(len(raw))), "sethostname")
