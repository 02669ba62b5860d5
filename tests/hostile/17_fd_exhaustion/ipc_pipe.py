"""Attack 17: descriptor exhaustion: raise RLIMIT_NOFILE, then open files and sockets until
the kernel refuses, and keep them all.

Defence: RLIMIT_NOFILE soft == hard (256); sockets are confined to the box's network
namespace. Outcome: the raise fails, opening stops with EMFILE at 256, and the neighbour is
unaffected.
"""

import errno
import os
import resource
import socket

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("17")
    probe.must_fail("raise RLIMIT_NOFILE", lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536)))
    opened = []
    try:
        while len(opened) < 100000:
            opened.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as exc:
        probe.note("files", [len(opened), errno.errorcode.get(exc.errno or 0)])
    for fd in opened[:64]:
        os.close(fd)
    sockets = []
    try:
        while len(sockets) < 100000:
            sockets.append(socket.socket())
    except OSError as exc:
        probe.note("sockets", [len(sockets), errno.errorcode.get(exc.errno or 0)])
    if len(opened) > 256:
        probe.breach(f"opened {len(opened)} descriptors: no descriptor limit")
    probe.report()
    return kit.forged()
