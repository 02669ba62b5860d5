"""Attack 6: ``kill(-1, sig)``, which reaches every process the user may signal: other
tests, the xdist workers, the grader.

Defence: a PID namespace per box (``kill(-1)`` stays in the box). Outcome: the canary (a
same-user process outside) records nothing and the neighbour case passes. The probe fires
only once it has checked it is in a PID namespace of its own (if the defence failed it
would take this machine down); otherwise it reports that as the breach.
"""

import os
import signal

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("06")
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # spare itself
    if kit.in_own_pid_namespace():
        os.kill(-1, signal.SIGUSR1)
        probe.note("kill(-1, SIGUSR1)", "sent")
    else:
        probe.breach("not in a PID namespace of its own: kill(-1) would reach every process of the user")
    probe.report()
    return kit.forged()
