"""Attack 20: zombie farm: fork 200 children that exit at once and are never waited for;
and, were the submission the box's pid 1, it could ignore SIGTERM and take the trusted
actors with it when it exits.

Defence: a trusted init is pid 1; it adopts and reaps orphans when the actor dies; the
student's processes are pid 2 and up. Outcome: the probe is not pid 1; the reference
actor's steps (before the submission's) are delivered; nothing is left afterwards.
"""

import os

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("20")
    if os.getpid() == 1:
        probe.breach("the submission runs as the box's pid 1")
    made = 0
    for _ in range(200):
        try:
            pid = os.fork()
        except OSError as exc:
            probe.note("fork", exc.errno)
            break
        if pid == 0:
            os._exit(0)
        made += 1
    probe.note("zombies_made", made)
    probe.report()
    return kit.forged()
