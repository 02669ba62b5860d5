"""Attack 18: leak SysV objects: create 1000 queues, 200 segments and 200 semaphore sets
and never remove them, so that later cases find the system's tables full.

Defence: the box's IPC namespace dies with the box. Outcome: every box (each case is a new
one) can create its full set again, and the host has no new object afterwards.
"""

import hostile_kit as kit
import sysv_ipc

WANTED = {"queues": 1000, "segments": 200, "semaphores": 200}


def make_pipe():
    probe = kit.Probe("18")
    kept = []
    made = dict.fromkeys(WANTED, 0)
    makers = {
        "queues": lambda: sysv_ipc.MessageQueue(None, sysv_ipc.IPC_CREX),
        "segments": lambda: sysv_ipc.SharedMemory(None, sysv_ipc.IPC_CREX, size=4096),
        "semaphores": lambda: sysv_ipc.Semaphore(None, sysv_ipc.IPC_CREX),
    }
    for kind, wanted in WANTED.items():
        try:
            for _ in range(wanted):
                kept.append(makers[kind]())
                made[kind] += 1
        except sysv_ipc.Error as exc:
            probe.breach(f"only {made[kind]} {kind} could be created ({exc}): the tables were not fresh")
    probe.note("made", made)
    probe.report()
    return kit.forged()
