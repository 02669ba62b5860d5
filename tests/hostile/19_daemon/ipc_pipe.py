"""Attack 19: leave a daemon behind: double fork, ``setsid()``, ignore every polite signal,
drop the parent-death signal, name itself ``hostile-daemon`` and wait for later cases.

Defence: a PID namespace whose init the grader kills at the end (the kernel then kills
every process in it). Outcome: no process named ``hostile-daemon`` exists on the host after
the case, and no process of the box survives.
"""

import ctypes
import os
import signal

import hostile_kit as kit

PR_SET_PDEATHSIG, PR_SET_NAME = 1, 15


def make_pipe():
    probe = kit.Probe("19")
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            kit.libc.prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0)
            kit.libc.prctl(PR_SET_NAME, ctypes.c_char_p(b"hostile-daemon"), 0, 0, 0)
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGUSR1):
                signal.signal(sig, signal.SIG_IGN)
            kit.hold_forever()
        os._exit(0)
    os.waitpid(pid, 0)
    probe.report()
    return kit.forged()
