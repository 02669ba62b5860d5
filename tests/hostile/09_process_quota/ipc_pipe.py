"""Attack 9: take the user's whole process quota: fork 300 processes that sleep, and keep
them while the neighbour case forks its own (as root, RLIMIT_NPROC is not enforced at all).

Defence: a cgroup per box with ``pids.max`` (about 64). Outcome: the box's forks fail with
EAGAIN near its own limit, and the neighbour still forks and passes.
"""

import os

import hostile_kit as kit

WANTED = 300


def make_pipe():
    probe = kit.Probe("09")
    asleep, _keep_open = os.pipe()
    made, error = 0, None
    for _ in range(WANTED):
        try:
            pid = os.fork()
        except OSError as exc:
            error = exc.errno
            break
        if pid == 0:
            try:
                os.read(asleep, 1)  # never written: sleeps until the box is killed
            finally:
                os._exit(0)
        made += 1
    probe.note("forked", made)
    probe.note("errno", error)
    if error is None:
        probe.breach(f"forked {made} sleeping processes without reaching any limit")
    probe.report()
    kit.armed()
    kit.hold_forever()
