"""Attack 35: abuse the limits API on the grader (same user): ``prlimit`` its descriptor
limit to zero, ``setpriority`` it to nice 19, ``sched_setaffinity`` it, and renice every
process of the user (``PRIO_USER``) and of the group (``PRIO_PGRP``).

Defence: a PID namespace (the grader cannot be named; ``PRIO_USER`` reaches only processes
the caller's namespace can name). Outcome: every call on the canary's or the grader's pid
fails with ESRCH, and the canary's limits and nice value are unchanged.
"""

import os
import resource

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("35")
    context = kit.context()
    for name in ("canary", "grader"):
        pid = int(context.get(name, 0))
        if pid <= 1:
            continue
        probe.must_fail(f"prlimit({name}, NOFILE, 0)", lambda pid=pid: resource.prlimit(pid, resource.RLIMIT_NOFILE, (0, 0)))
        probe.must_fail(f"setpriority({name}, 19)", lambda pid=pid: os.setpriority(os.PRIO_PROCESS, pid, 19))
        probe.must_fail(f"sched_setaffinity({name})", lambda pid=pid: os.sched_setaffinity(pid, {0}))
    if kit.in_own_pid_namespace():
        for which in (os.PRIO_USER, os.PRIO_PGRP):  # whatever it reaches; the canary must not be among it
            try:
                os.setpriority(which, 0, 19)
            except OSError as exc:
                probe.note(f"setpriority({which}, 0, 19)", exc.errno)
    else:
        probe.breach("not in a PID namespace of its own: PRIO_USER would renice every process of the user")
    probe.report()
    return kit.forged()
