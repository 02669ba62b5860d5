"""Attack 16: flood stdout and stderr without end (RLIMIT_FSIZE does not cover a pipe or a
socket).

Defence: the grader reads the box's output with a byte budget and stops the case when it is
spent. Outcome: a failure saying the implementation printed too much, within the case's
time, and the grader's memory does not grow with the flood.
"""

import sys

import hostile_kit as kit


def make_pipe():
    kit.armed()
    line = "x" * 4095
    while True:
        print(line)
        print(line, file=sys.stderr)
