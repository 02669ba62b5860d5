"""Attack 13: block forever, deaf to polite signals: SIGTERM, SIGINT, SIGHUP, SIGUSR1 and
SIGALRM ignored, then ``pause()`` in a loop that swallows every exception.

Defence: the grader's wall clock, then SIGKILL of the box's init (which takes the whole
PID namespace). Outcome: a TIMEOUT within the case's limit, and nothing left behind.
"""

import signal

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("13")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGALRM):
        signal.signal(sig, signal.SIG_IGN)
    probe.report()
    kit.armed()
    while True:
        try:
            signal.pause()
        except BaseException:  # noqa: BLE001 - the point: nothing raised in here ends the call
            continue
