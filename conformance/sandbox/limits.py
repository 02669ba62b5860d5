"""Resource limits of one box, and how an actor applies them to itself.

Every rlimit is set with soft == hard: a soft-only limit can simply be raised again by the
student, and a CPU soft limit only sends a catchable SIGXCPU. The wall clock is not here:
only the trusted orchestrator, outside the box, can enforce it.
"""

from __future__ import annotations

import resource
from dataclasses import asdict, dataclass
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True, kw_only=True, slots=True)
class Limits:
    """What one box may use. Sizes in bytes, times in seconds."""

    #: CPU time per process; a safety net below the case's wall-clock deadline.
    cpu_seconds: int = 30
    #: Address space per process (catches runaway allocation as MemoryError/ENOMEM).
    address_space: int = 2048 * MIB
    #: Open descriptors per process: low enough that an fd leak in a loop fails fast.
    open_files: int = 256
    #: Largest file a process may write (SIGXFSZ/EFBIG past it).
    file_size: int = 64 * MIB
    #: Size of each private tmpfs (``/tmp`` and ``/dev/shm``).
    tmpfs_size: int = 64 * MIB
    #: Inodes of each private tmpfs.
    tmpfs_inodes: int = 4096
    #: Bytes of stdout+stderr kept from all actors of the box; past it the box is stopped.
    output_bytes: int = 256 * 1024
    #: Processes (and threads) in the whole box, where a cgroup can count them.
    processes: int = 64
    #: Memory of the whole box (tmpfs pages included), where a cgroup can count it.
    memory: int = 1024 * MIB

    def to_json(self) -> dict[str, Any]:
        """The limits as a JSON object (they cross to the zygote in a request)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Limits:
        """Rebuild limits sent by :meth:`to_json`; unknown keys are an error."""
        return cls(**data)


def apply_rlimits(limits: Limits, *, count_processes: bool = False) -> None:
    """Apply the per-process rlimits to the calling process, soft == hard.

    Args:
        count_processes: also set ``RLIMIT_NPROC`` to the box's process limit. Only inside
            a box's own user namespace: there the kernel counts per namespace, so it fences
            a fork bomb where no cgroup can (unprivileged graders). Elsewhere it would count
            every process of the grader's user on the host, and root ignores it anyway.
    """
    if count_processes:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    for which, value in (
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_AS, limits.address_space),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_FSIZE, limits.file_size),
        (resource.RLIMIT_CORE, 0),  # no core files in the box (or on the host's behalf)
    ):
        resource.setrlimit(which, (value, value))
