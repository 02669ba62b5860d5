"""One cgroup per box, where the host lets the grader make them: the fences rlimits lack.

``RLIMIT_NPROC`` does nothing for root and is shared by every process of a uid, and
``RLIMIT_AS`` is per process; a cgroup counts the whole box. ``pids.max`` stops a fork bomb
with EAGAIN, even as root; the memory limit has the kernel's OOM killer end the box with
SIGKILL, which cannot be caught. Both cgroup versions are handled:

* v2 (unified): ``/sys/fs/cgroup/conformance/<box>/`` with ``pids.max`` and ``memory.max``;
* v1: ``/sys/fs/cgroup/pids/conformance/<box>/`` and ``/sys/fs/cgroup/memory/...``.

The box's supervisor moves itself into the cgroup before it creates the namespaces, so
every process of the box is counted from its first fork. The orchestrator removes the
cgroup once the box is gone.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass

ROOT = "/sys/fs/cgroup"
PARENT = "conformance"


@dataclass(frozen=True, kw_only=True, slots=True)
class BoxCgroup:
    """The cgroup folders of one box (one per controller on v1, one on v2)."""

    version: str
    folders: tuple[str, ...]

    def enter(self, pid: int) -> None:
        """Move ``pid`` (and so all its future children) into the box's cgroup."""
        for folder in self.folders:
            _write(os.path.join(folder, "cgroup.procs"), str(pid))

    def oom_killed(self) -> bool:
        """Whether the kernel's OOM killer ended a process of the box."""
        for folder in self.folders:
            for name in ("memory.events", "memory.oom_control"):
                text = _read(os.path.join(folder, name))
                for line in text.splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill" and value.strip() not in ("", "0"):
                        return True
        return False

    def remove(self) -> None:
        """Remove the folders (they are empty once the box's processes are gone)."""
        for folder in self.folders:
            with contextlib.suppress(OSError):
                os.rmdir(folder)


def version() -> str:
    """``v2``, ``v1`` or ``""``: which cgroups this process may create boxes in."""
    if os.path.exists(os.path.join(ROOT, "cgroup.controllers")):
        return "v2" if _prepare_v2() else ""
    if all(os.access(os.path.join(ROOT, c), os.W_OK) for c in ("pids", "memory")):
        return "v1"
    return ""


def create(box_id: str, processes: int, memory: int) -> BoxCgroup | None:
    """Make the box's cgroup with its limits; ``None`` when the host allows no cgroups."""
    kind = version()
    try:
        if kind == "v2":
            folder = os.path.join(ROOT, PARENT, box_id)
            os.makedirs(folder)
            _write(os.path.join(folder, "pids.max"), str(processes))
            _write(os.path.join(folder, "memory.max"), str(memory))
            with contextlib.suppress(OSError):
                _write(os.path.join(folder, "memory.swap.max"), "0")
            return BoxCgroup(version="v2", folders=(folder,))
        if kind == "v1":
            pids = os.path.join(ROOT, "pids", PARENT, box_id)
            mem = os.path.join(ROOT, "memory", PARENT, box_id)
            os.makedirs(pids)
            os.makedirs(mem)
            _write(os.path.join(pids, "pids.max"), str(processes))
            _write(os.path.join(mem, "memory.limit_in_bytes"), str(memory))
            with contextlib.suppress(OSError):  # only with swap accounting enabled
                _write(os.path.join(mem, "memory.memsw.limit_in_bytes"), str(memory))
            return BoxCgroup(version="v1", folders=(pids, mem))
    except OSError:
        return None
    return None


def sweep(older_than: float = 600.0) -> int:
    """Remove box cgroups left by a grader that was killed; returns how many went.

    Only empty folders can be removed at all (the kernel refuses others), and only ones
    older than ``older_than`` seconds are tried, so a box being set up right now by another
    grader is never touched.
    """
    removed = 0
    now = time.time()
    for parent in (os.path.join(ROOT, PARENT), os.path.join(ROOT, "pids", PARENT), os.path.join(ROOT, "memory", PARENT)):
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            folder = os.path.join(parent, name)
            with contextlib.suppress(OSError):
                if os.path.isdir(folder) and now - os.stat(folder).st_mtime > older_than:
                    os.rmdir(folder)
                    removed += 1
    return removed


def _prepare_v2() -> bool:
    """Enable the pids and memory controllers for our parent group (v2 needs them delegated)."""
    parent = os.path.join(ROOT, PARENT)
    try:
        os.makedirs(parent, exist_ok=True)
        for folder in (ROOT, parent):
            enabled = _read(os.path.join(folder, "cgroup.subtree_control")).split()
            missing = [c for c in ("pids", "memory") if c not in enabled]
            if missing:
                _write(os.path.join(folder, "cgroup.subtree_control"), " ".join(f"+{c}" for c in missing))
    except OSError:
        return False
    return True


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read()
    except OSError:
        return ""
