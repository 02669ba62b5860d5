"""Attack 8: find other processes by pid and attack them: scan ``/proc``, then ``kill``,
``ptrace``, ``/proc/<pid>/mem`` and ``process_vm_readv`` on the canary and the grader.

Defence: a PID namespace and a private ``/proc``. Outcome: ``/proc`` lists only the box's
few processes; every attempt on the canary's or the grader's pid fails (ESRCH/ENOENT).
"""

import os

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("08")
    context = kit.context()
    pids = kit.box_pids()
    probe.note("pids", pids[:20])
    if len(pids) > 32:
        probe.breach(f"/proc lists {len(pids)} processes: it is the host's /proc")
    for name in ("canary", "grader"):
        pid = int(context.get(name, 0))
        if pid <= 1:
            continue
        if pid in pids:
            probe.breach(f"the {name}'s pid {pid} is in the box's /proc")
        probe.must_fail(f"kill({name}, 0)", lambda pid=pid: os.kill(pid, 0))
        probe.must_fail(f"open /proc/{name}/mem", lambda pid=pid: kit.read_file(f"/proc/{pid}/mem"))
        probe.must_fail_raw(f"ptrace attach {name}", kit.ptrace_attach(pid))
        probe.must_fail_raw(f"process_vm_readv {name}", kit.process_vm_readv(pid, 0x400000))
    probe.report()
    return kit.forged()
