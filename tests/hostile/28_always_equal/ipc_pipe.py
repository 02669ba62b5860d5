"""Attack 28 (in-process monkeypatching, the classic form): patch what an in-process grader
would use to compare (``unittest.TestCase.assertEqual``, ``operator.eq``, ``builtins.isinstance``
for non-runtime callers) and return an object whose ``__eq__`` is always true and that
claims to be a pair of descriptors.

Defence: student code runs only in separate processes; the grader compares plain values
received over its channel and asks the kernel. Outcome: every case still fails.
"""

import operator
import unittest

import hostile_kit as kit


class AlwaysEqual(tuple):
    """Equal to everything, and a 2-tuple of ints to anyone who only looks at its length."""

    def __new__(cls):
        return super().__new__(cls, (0, 1))

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = tuple.__hash__


def make_pipe():
    probe = kit.Probe("28b")
    unittest.TestCase.assertEqual = lambda *args, **kwargs: None
    unittest.TestCase.assertTrue = lambda *args, **kwargs: None
    operator.eq = lambda a, b: True
    probe.report()
    return AlwaysEqual()
