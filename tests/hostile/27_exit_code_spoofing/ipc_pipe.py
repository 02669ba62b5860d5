"""Attack 27: exit-code spoofing: make any interpreter exit report success
(``atexit.register(os._exit, 0)`` at import), then leave with status 0 in the middle of the
call instead of answering.

Defence: success needs positive evidence (a reply the grader judges, and the kernel's own
observations); a process that exits instead of replying has failed. Outcome: every case
fails ("exited with code 0").
"""

import atexit
import os

import hostile_kit as kit

atexit.register(os._exit, 0)


def make_pipe():
    probe = kit.Probe("27")
    probe.report()
    os._exit(0)
