"""Attack 33: tamper with the trusted actor in the same box (the reference peer, same user,
same namespaces): read its memory and environment through ``/proc``, follow and write into
its descriptors (``/proc/<pid>/fd/N``), ``ptrace`` it, ``process_vm_readv`` it, then stop it
with SIGSTOP.

Defence: reference actors are not dumpable (their ``/proc`` files and ptrace are closed to
a process without capabilities); a stopped or killed trusted actor makes the case fail.
Outcome: every access fails (EACCES/EPERM) and the verdict is an empty submission's.
"""

import os
import signal

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("33")
    others = [pid for pid in kit.box_pids() if pid not in (1, os.getpid())]
    probe.note("trusted", others)
    for pid in others:
        probe.must_fail(f"read /proc/{pid}/mem", lambda pid=pid: kit.read_file(f"/proc/{pid}/mem"))
        probe.must_fail(f"read /proc/{pid}/environ", lambda pid=pid: kit.read_file(f"/proc/{pid}/environ"))
        for fd in range(6):  # the numbers may be listed (the folder is root's); where they lead may not
            probe.must_fail(f"readlink /proc/{pid}/fd/{fd}", lambda pid=pid, fd=fd: os.readlink(f"/proc/{pid}/fd/{fd}"))
            probe.must_fail(f"open /proc/{pid}/fd/{fd} for writing",
                            lambda pid=pid, fd=fd: os.close(os.open(f"/proc/{pid}/fd/{fd}", os.O_WRONLY)))
        probe.must_fail_raw(f"ptrace attach {pid}", kit.ptrace_attach(pid))
        address = kit.first_mapping(pid) or 0x400000
        probe.must_fail_raw(f"process_vm_readv {pid}", kit.process_vm_readv(pid, address))
    probe.report()
    for pid in others:
        os.kill(pid, signal.SIGSTOP)
    return kit.forged()
