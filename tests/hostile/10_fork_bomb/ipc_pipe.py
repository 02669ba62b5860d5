"""Attack 10: fork bomb: every process forks as fast as it can, and all of them stay.

Bounded here so that a missing defence cannot take this machine down: the bomb stops after
400 forks in all (tokens in a pipe). Defence: a cgroup per box with ``pids.max`` (about 64).
Outcome: a fork fails with EAGAIN long before the tokens run out; the neighbour finishes
in its normal time; afterwards the host's process count is back where it was.
"""

import errno
import os

import hostile_kit as kit

TOKENS = 400


def make_pipe():
    probe = kit.Probe("10")
    tokens, refill = os.pipe()
    os.write(refill, b"t" * TOKENS)
    os.set_blocking(tokens, False)
    events, event = os.pipe()
    try:
        first = os.fork()
    except OSError as exc:
        first = -1
        os.write(event, b"E" if exc.errno == errno.EAGAIN else b"X")
    if first == 0:
        _bomb(tokens, event)
    outcome = os.read(events, 1)
    probe.note("first_event", outcome.decode())
    probe.note("forks", TOKENS - _left(tokens))
    if outcome != b"E":
        probe.breach(f"{TOKENS} forks without any EAGAIN: nothing limits the number of processes")
    probe.report()
    kit.armed()
    kit.hold_forever()


def _bomb(tokens, event):
    while True:
        try:
            os.read(tokens, 1)
        except BlockingIOError:
            os.write(event, b"D")  # out of tokens: the bound of this test, not a defence
            break
        try:
            os.fork()
        except OSError as exc:
            os.write(event, b"E" if exc.errno == errno.EAGAIN else b"X")
            break
    kit.hold_forever()


def _left(tokens):
    left = 0
    try:
        while chunk := os.read(tokens, 4096):
            left += len(chunk)
    except BlockingIOError:
        pass
    return left
