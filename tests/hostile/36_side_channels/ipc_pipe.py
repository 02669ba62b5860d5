"""Attack 36: cross-box side channels (for colluding submissions, or to probe a neighbour):
the user keyring (one per uid, shared by every box), ``flock`` on a read-only inode every
box shares (the interpreter), ``io_uring`` and ``AF_VSOCK``.

Defence needed: a seccomp deny-list (isolate's four flags) or a distinct uid per box; the
engine has neither. Outcome wanted, as bwrap's ``try-syscall``: each call refused with
ENOSYS, EPERM or EAFNOSUPPORT.
"""

import ctypes
import fcntl
import os
import socket
import sys

import hostile_kit as kit

KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING = 0, -4
AF_VSOCK = 40


def make_pipe():
    probe = kit.Probe("36")
    probe.must_fail_raw("keyctl(get the user keyring)",
                        kit.syscall("keyctl", ctypes.c_long(KEYCTL_GET_KEYRING_ID), ctypes.c_long(KEY_SPEC_USER_KEYRING),
                                    ctypes.c_long(0)))
    shared = os.open(sys.executable, os.O_RDONLY)
    probe.must_fail("flock a shared read-only inode", lambda: fcntl.flock(shared, fcntl.LOCK_EX | fcntl.LOCK_NB))
    params = ctypes.create_string_buffer(120)
    ring = kit.syscall("io_uring_setup", ctypes.c_uint(1), params)
    probe.must_fail_raw("io_uring_setup", ring)
    probe.must_fail("socket(AF_VSOCK)", lambda: socket.socket(AF_VSOCK, socket.SOCK_STREAM).close())
    probe.report()
    return kit.forged()
