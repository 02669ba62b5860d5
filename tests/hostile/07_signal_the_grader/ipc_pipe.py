"""Attack 7: signal the grader: ``kill(getppid())``, ``kill(0)``, ``killpg(getpgrp())``,
and SIGUSR1, SIGTERM and SIGSTOP to the canary's pid (standing in for the grader's).

Defence: a PID namespace (the grader cannot be named) and ``setsid()`` for every actor
(its group is its own). Outcome: the parent is the box's init, which ignores what it has
no handler for; the group is the actor's own; the canary's pid does not exist (ESRCH);
the canary records nothing and is not stopped.
"""

import os
import signal

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("07")
    context = kit.context()
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    parent = os.getppid()
    if parent == 1:
        os.kill(parent, signal.SIGUSR1)
        os.kill(parent, signal.SIGSTOP)  # the namespace's init cannot be stopped from inside
    else:
        probe.breach(f"the parent is pid {parent}, not the box's init")
    if os.getsid(0) == os.getpid() == os.getpgrp():
        os.kill(0, signal.SIGUSR1)
        os.killpg(os.getpgrp(), signal.SIGUSR1)
    else:
        probe.breach("the actor is not the leader of its own session: kill(0) reaches others")
    for name in ("canary", "grader"):
        pid = int(context.get(name, 0))
        if pid <= 1:
            continue
        probe.must_fail(f"kill({name}, 0)", lambda pid=pid: os.kill(pid, 0))
        if name == "canary":
            for sig in (signal.SIGUSR1, signal.SIGTERM, signal.SIGSTOP):
                probe.must_fail(f"kill(canary, {sig.name})", lambda pid=pid, sig=sig: os.kill(pid, sig))
    probe.report()
    return kit.forged()
