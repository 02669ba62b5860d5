"""The namespace steps of a box, one short function each, in the order they must run.

A box is one set of namespaces shared by all actors of a case: IPC (SysV keys never collide
between cases), network (ports and abstract sockets never collide; loopback brought up),
PID (the box's init is pid 1, so killing it kills everything), mount (private ``/tmp`` and
``/dev/shm``: POSIX shm is *not* covered by the IPC namespace) and UTS. When the grader is
not root, a user namespace in the same ``unshare`` call makes the rest possible.
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct
import sys

from conformance.sandbox import _libc

BOX_NAMESPACES = (
    _libc.CLONE_NEWIPC
    | _libc.CLONE_NEWNET
    | _libc.CLONE_NEWPID
    | _libc.CLONE_NEWNS
    | _libc.CLONE_NEWUTS
)

# ioctl numbers for interface flags (linux/sockios.h) and IFF_UP (linux/if.h).
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1


class BoxSetupError(OSError):
    """A step of building the box failed; names the step and carries the errno."""


def enter_namespaces(with_user_namespace: bool) -> None:
    """Unshare the box's namespaces; the caller's next child becomes the box's pid 1.

    Args:
        with_user_namespace: also create a user namespace (needed when not root), mapping
            the caller's uid and gid to root inside it.
    """
    uid, gid = os.getuid(), os.getgid()
    flags = BOX_NAMESPACES | (_libc.CLONE_NEWUSER if with_user_namespace else 0)
    _step("unshare namespaces", _libc.unshare, flags)
    if with_user_namespace:
        # setgroups must be denied *before* gid_map may be written by an unprivileged process.
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1")
        _write("/proc/self/gid_map", f"0 {gid} 1")


#: Where the folders of the modules under test appear inside a box (read-only).
MODULES_DIR = "/tmp/.modules"


#: The mount points a box covers with its own tmpfs.
PRIVATE_DIRS = ("/tmp", "/dev/shm")


def setup_mounts(tmpfs_size: int, tmpfs_inodes: int, folders: tuple[str, ...] = (),
                 runtime: tuple[str, ...] = (), hidden: tuple[str, ...] = ()) -> dict[str, str]:
    """Build the box's view of the file system.

    In order: every mount private; the whole host tree read-only; each ``hidden`` folder
    covered by an empty, read-only mount (the engine, its specs, the reference, results);
    a fresh /proc; a private tmpfs on /tmp and /dev/shm; each ``runtime`` path (the
    interpreter's virtualenv, if a tmpfs or a hidden folder covered it) bound read-only
    back at its place; each folder in ``folders`` (the modules under test) bound read-only
    under :data:`MODULES_DIR`.

    Runs in the box's pid 1. Order matters: mounts must be private first, or the new
    mounts would propagate back to the host; every folder is opened *before* anything is
    covered, because a submission or the virtualenv may live under /tmp or a hidden folder;
    the tree is made read-only *before* the writable tmpfs mounts are added on top.

    Returns:
        Each folder's path as the box sees it.
    """
    handles = [os.open(folder, os.O_PATH | os.O_DIRECTORY) for folder in folders]
    runtime_handles = [os.open(path, os.O_PATH | os.O_DIRECTORY) for path in runtime]
    _step("make mounts private", _libc.mount, "none", "/", None, _libc.MS_REC | _libc.MS_PRIVATE, None)
    # Student code runs as root without capabilities: DAC would still let it write every
    # root-owned file (the engine, results, caches). Nothing of the host is writable now.
    _step("make the host tree read-only", _libc.make_tree_readonly, "/")
    hardened = _libc.MS_NOSUID | _libc.MS_NODEV
    # Under /tmp or /dev/shm nothing needs hiding: the private tmpfs covers it whole.
    hidden = tuple(h for h in hidden if not any(h == d or h.startswith(d + "/") for d in PRIVATE_DIRS))
    # Writable for now: the interpreter's virtualenv may sit inside a hidden folder and its
    # mount point must be made there; sealed read-only below, once it is.
    for path in hidden:
        _step(f"hide {path}", _libc.mount, "tmpfs", path, "tmpfs", hardened, "size=64k,nr_inodes=256,mode=0111")
    # A fresh procfs shows only the box's processes (the host's /proc would list every pid).
    _step("mount /proc", _libc.mount, "proc", "/proc", "proc", hardened | _libc.MS_NOEXEC, None)
    options = f"size={tmpfs_size},nr_inodes={tmpfs_inodes},mode=1777"
    for target in ("/tmp", "/dev/shm"):
        _step(f"mount tmpfs on {target}", _libc.mount, "tmpfs", target, "tmpfs", hardened, options)
    for path, handle in zip(runtime, runtime_handles, strict=True):
        _bind_readonly(handle, path, path)
    _hide_parents(runtime, (*PRIVATE_DIRS, *hidden))
    for path in hidden:
        _step(f"seal {path}", _libc.mount, "none", path, None, _libc.MS_REMOUNT | _libc.MS_RDONLY | hardened, None)
    inside = {}
    for number, (folder, handle) in enumerate(zip(folders, handles, strict=True)):
        inside[folder] = f"{MODULES_DIR}/{number}"
        _bind_readonly(handle, inside[folder], folder)
    if folders:
        os.chmod(MODULES_DIR, 0o555)
    return inside


def _hide_parents(paths: tuple[str, ...], roots: tuple[str, ...]) -> None:
    """Make the folders created for mount points traversable but not listable (mode 0111).

    A virtualenv bound back at ``/tmp/checkout/.nox/...`` needs its parent folders, but
    listing them must not tell a submission where the grader lives (actors are root
    without capabilities, so the owner's mode bits bind them too).
    """
    for path in paths:
        parent = os.path.dirname(path)
        while parent not in roots and parent not in ("/", "") and any(parent.startswith(r + "/") for r in roots):
            os.chmod(parent, 0o111)
            parent = os.path.dirname(parent)


def _bind_readonly(handle: int, target: str, what: str) -> None:
    # Not recursive: a recursive bind would bring along whatever is mounted on the folder
    # since it was opened — such as the empty mount that hides it, when it is inside a
    # hidden folder.
    os.makedirs(target, exist_ok=True)
    _step(f"bind {what}", _libc.mount, f"/proc/self/fd/{handle}", target, None, _libc.MS_BIND, None)
    readonly = _libc.MS_BIND | _libc.MS_REMOUNT | _libc.MS_RDONLY | _libc.MS_NOSUID | _libc.MS_NODEV
    _step(f"make {what} read-only", _libc.mount, "none", target, None, readonly, None)
    os.close(handle)


def runtime_paths(engine_root: str, hidden: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Interpreter paths (virtualenv, site-packages) that the box's mounts would cover.

    When the grader runs from a virtualenv under /tmp or inside the project (as nox does),
    the actors still need its site-packages (``import sysv_ipc``) and its ``bin/python``
    (for a student's exec). The engine's own source folder is left out on purpose: actors
    have already imported what they need, and the specs sit next to it.
    """
    covered = (*PRIVATE_DIRS, *hidden)
    candidates = {sys.prefix, sys.exec_prefix, sys.base_prefix, os.path.dirname(sys.executable), *sys.path}
    inside = [p for p in candidates if p and any(p == d or p.startswith(d.rstrip("/") + "/") for d in covered)]
    # The engine's folder stays hidden when it is a checkout (hidden); installed into
    # site-packages it is not hidden, and is bound back like any other path.
    engine_hidden = any(os.path.realpath(engine_root) == os.path.realpath(h) for h in hidden)
    found = [p for p in inside if os.path.isdir(p)
             and not (engine_hidden and os.path.realpath(p) == os.path.realpath(engine_root))]
    # Parents first, and no path inside another (one recursive bind covers it).
    found.sort()
    kept: list[str] = []
    for path in found:
        if not any(path.startswith(k + "/") for k in kept):
            kept.append(path)
    return tuple(kept)


def bring_up_loopback() -> None:
    """Set IFF_UP on ``lo``: a new network namespace starts with it down (ENETUNREACH)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
        request = struct.pack("16sH14s", b"lo", flags | _IFF_UP, b"")
        _step("bring up loopback", fcntl.ioctl, sock, _SIOCSIFFLAGS, request)


def set_hostname(name: str) -> None:
    """Name the box's UTS namespace, so a student's ``uname`` shows it is in a box."""
    _step("set hostname", _libc.sethostname, name)


def _write(path: str, text: str) -> None:
    def write() -> None:
        with open(path, "w", encoding="ascii") as handle:
            handle.write(text)

    _step(f"write {path}", write)


def _step(what: str, fn: object, *args: object) -> object:
    try:
        return fn(*args)  # type: ignore[operator]
    except OSError as exc:
        raise BoxSetupError(exc.errno or 0, f"box setup failed at '{what}': {exc.strerror or exc}") from exc
