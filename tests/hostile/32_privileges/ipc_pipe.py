"""Attack 32: use privileges left in the box: check the capability sets and
``NoNewPrivs``; mount, unmount ``/proc``, ``chroot``, set the host name, ``ptrace`` the
trusted actor; and (in a child) ``unshare(CLONE_NEWUSER)``, which gives back every
capability inside a new user namespace.

Defence: every capability dropped, ``NO_NEW_PRIVS``; seccomp denying ``unshare``, ``setns``
and ``mount`` is *not* in the engine. Outcome wanted: all capability sets empty,
NoNewPrivs 1, every call refused. Breaches about the new user namespace are prefixed
``userns:``.
"""

import ctypes
import os

import hostile_kit as kit

CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000
MNT_DETACH = 2


def make_pipe():
    probe = kit.Probe("32")
    with open("/proc/self/status", encoding="ascii") as handle:
        status = dict(line.split(":\t", 1) for line in handle.read().splitlines() if ":\t" in line)
    for key in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        if int(status.get(key, "0"), 16):
            probe.breach(f"{key} is {status[key].strip()}, not empty")
    if status.get("NoNewPrivs", "0").strip() != "1":
        probe.breach("NoNewPrivs is not set")
    probe.note("CapBnd", status.get("CapBnd", "").strip())
    os.makedirs("/tmp/hostile-box-mount", exist_ok=True)
    probe.must_fail_raw("mount tmpfs", kit.libc.mount(b"none", b"/tmp/hostile-box-mount", b"tmpfs", 0, None))
    probe.must_fail_raw("umount /proc", kit.libc.umount2(b"/proc", MNT_DETACH))
    probe.must_fail_raw("chroot", kit.libc.chroot(b"/tmp"))
    probe.must_fail_raw("sethostname", kit.libc.sethostname(b"pwned", 5))
    probe.must_fail_raw("unshare(CLONE_NEWNS)", _in_child(lambda: kit.libc.unshare(CLONE_NEWNS)))
    for pid in kit.box_pids():
        if pid not in (1, os.getpid()):
            probe.must_fail_raw(f"ptrace attach pid {pid}", kit.ptrace_attach(pid))
    result = _in_child(lambda: kit.libc.unshare(CLONE_NEWUSER))
    if result != -1:
        probe.breach("userns: unshare(CLONE_NEWUSER) worked: the child holds every capability in a new user namespace")
    probe.report()
    return kit.forged()


def _in_child(action):
    """Run ``action`` in a child (so this process stays as it is); its result, -1 on failure."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        result = action()
        os.write(write_end, b"ok" if result == 0 else b"no")
        os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 2)
    os.close(read_end)
    os.waitpid(pid, 0)
    ctypes.set_errno(1)
    return 0 if answer == b"ok" else -1
