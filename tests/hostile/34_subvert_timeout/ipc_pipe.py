"""Attack 34: subvert the timeout: cancel and ignore SIGALRM, zero every interval timer,
ignore SIGTERM, SIGINT and SIGXCPU, then block in a loop that catches ``BaseException``
(what defeats an in-process, signal-based timeout such as pytest-timeout's).

Defence: the timeout is enforced by the grader, outside, with SIGKILL of the box. Outcome:
a TIMEOUT, and the grader's worker carries on.
"""

import os
import signal

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("34")
    signal.alarm(0)
    for timer in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
        signal.setitimer(timer, 0)
    for sig in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):
        signal.signal(sig, signal.SIG_IGN)
    probe.report()
    kit.armed()
    read_end, _write_end = os.pipe()
    while True:
        try:
            os.read(read_end, 1)
        except BaseException:  # noqa: BLE001 - the point: nothing raised in here ends the call
            continue
