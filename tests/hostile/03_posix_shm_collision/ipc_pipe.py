"""Attack 3: POSIX shared memory collision through ``/dev/shm/<name>`` (what
``shm_open`` and ``multiprocessing.shared_memory`` use; the IPC namespace does not cover it),
with the name the host is holding.

Defence: a private tmpfs on ``/dev/shm`` per box. Outcome: ``/dev/shm`` is empty in the box,
the exclusive create succeeds, and the host's ``/dev/shm`` is unchanged afterwards.
"""

import mmap
import os

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("03")
    name = str(kit.context().get("shm", "hostile-shm"))
    seen = os.listdir("/dev/shm")
    if seen:
        probe.breach(f"/dev/shm shows {len(seen)} entries of someone else, e.g. {seen[:3]}")
    path = f"/dev/shm/{name}"
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    except FileExistsError:
        probe.breach(f"{path} already exists: the box shares /dev/shm with the host")
    else:
        os.ftruncate(fd, mmap.PAGESIZE)
        with mmap.mmap(fd, mmap.PAGESIZE) as memory:
            memory[:9] = b"box-nonce"
            if memory[:9] != b"box-nonce":
                probe.breach("the segment did not keep the box's own bytes")
        os.close(fd)
        os.unlink(path)
    probe.report()
    return kit.forged()
