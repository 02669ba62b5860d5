"""Attack 29: malicious payloads on the grader's channel: a reply sent with forged
credentials (the kernel-stated sender pid of init), a pickle gadget that would run a
command in the grader if unpickled, JSON nested 100,000 deep, and an 8 MiB message.

Defence: replies are bounded JSON, shape-checked, never pickle; the sender is the pid the
kernel attaches. Outcome: the forged credentials are refused (EPERM), the case fails
("garbage" on the channel), the gadget's marker file never appears, and the grader lives.
"""

import json
import os
import pickle
import socket
import stat
import struct

import hostile_kit as kit

SCM_CREDENTIALS = 2


class Gadget:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def make_pipe():
    probe = kit.Probe("29")
    marker = str(kit.context().get("marker", "/tmp/hostile-pickle-ran"))
    channels = [fd for fd in range(3, 64) if _is_socket(fd)]
    probe.note("channels", channels)
    if not channels:
        probe.report()
        return kit.forged()
    channel = socket.socket(fileno=os.dup(channels[0]))
    reply = json.dumps({"type": "reply", "id": 1, "status": "returned", "value": [3, 4]}).encode()
    credentials = struct.pack("iII", 1, 0, 0)  # pid 1 (the box's init), uid 0, gid 0
    probe.must_fail("send with forged credentials",
                    lambda: channel.sendmsg([reply], [(socket.SOL_SOCKET, SCM_CREDENTIALS, credentials)]))
    probe.report()
    payloads = [pickle.dumps(Gadget(marker)), b"[" * 100000 + b"]" * 100000, b" " * (8 << 20)]
    for payload in payloads:
        try:
            channel.send(payload)
        except OSError as exc:
            probe.note(f"send {len(payload)} bytes", exc.errno)
    return kit.forged()


def _is_socket(fd):
    try:
        return stat.S_ISSOCK(os.fstat(fd).st_mode)
    except OSError:
        return False
