"""Attack 1: SysV key collision. Every student picks the same key (here the very key the
grader's host is holding a queue at) and creates it exclusively.

Defence: one IPC namespace per box. Outcome: the key is free inside the box, and the
message read back is the box's own, never the host's.
"""

import hostile_kit as kit
import sysv_ipc


def make_pipe():
    probe = kit.Probe("01")
    key = int(kit.context().get("key", 0x1234))
    try:
        queue = sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREX)
    except sysv_ipc.ExistentialError:
        probe.breach(f"key {key:#x} is already taken: the box shares SysV keys with the host")
    else:
        queue.send(b"box-nonce")
        message, _ = queue.receive(block=False)
        if message != b"box-nonce":
            probe.breach(f"read {message!r} back instead of the box's own message")
        queue.remove()
    probe.report()
    return kit.forged()
