"""Executable models for property steps: the rules a mechanism must follow, as code.

A property step (``property: <model>`` in a spec) lets hypothesis generate sequences of a
model's abstract operations, runs each sequence against the implementation through the
step's ``bindings`` (which say how each abstract operation calls this interface), and
compares every outcome with what the model predicts. On a divergence hypothesis shrinks
the sequence, and the student sees the smallest one that still fails.

Modules:

* ``base``: the :class:`~conformance.models.base.Model` protocol and the operation record.
* ``msgqueue``: System V message queue rules (type selectors, FIFO per type).
* ``framed_stream``: length-prefixed messages through a byte stream (pipe, socket).

Models run only on the trusted side: they hold the expected outcomes.
"""

from __future__ import annotations

from typing import Any

from conformance.models.base import Divergence, Model, Op
from conformance.models.framed_stream import FramedStream
from conformance.models.msgqueue import MessageQueue

#: Models by the name a spec uses in ``property:``.
MODELS: dict[str, Any] = {"msgqueue": MessageQueue, "framed_stream": FramedStream}

__all__ = ["MODELS", "Divergence", "Model", "Op"]
