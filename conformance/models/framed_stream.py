"""Length-prefixed messages through one byte stream (a pipe), as an executable model.

State: the messages written and not yet read, in order. A receive returns the oldest; the
stream is never asked to hold more than its capacity (64 KiB for a pipe), so no generated
operation can block. Message sizes cross the sizes where framing bugs hide: empty
messages, one byte, a header-sized message, and messages larger than a single read.

Bindings: ``open`` (its result saved as ``$stream``), ``send`` (``$stream``, ``$data``),
``receive`` (``$stream``; returns the message's bytes), ``close``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from conformance.models.base import Call, Divergence, Op, Raised
from conformance.runner.matchers import show
from conformance.runner.values import generate

#: Bytes the model lets be in flight (headers included): well inside a pipe's 64 KiB.
CAPACITY = 48 * 1024
_SIZES = (0, 1, 3, 4, 5, 255, 256, 4096, 5000, 20000)


class FramedStream:
    """Model of a framed message stream (see the module docstring)."""

    BINDINGS = ("open", "send", "receive", "close")
    TITLE = "length-prefixed framing over a byte stream"

    def __init__(self, base_key: int) -> None:
        self.pending: list[bytes] = []
        self.handle: Any = None

    @staticmethod
    def operations(max_ops: int) -> st.SearchStrategy[list[Op]]:
        send = st.tuples(st.just("send"), st.sampled_from(_SIZES))
        receive = st.tuples(st.just("receive"), st.just(0))
        return st.lists(st.one_of(send, receive), max_size=max_ops).map(_numbered)

    def setup(self, call: Call, example: int) -> None:
        self.pending = []
        self.handle = call("open", {})

    def apply(self, call: Call, op: Op) -> str | None:
        if op.name == "send":
            data = dict(op.values)["data"]
            if sum(len(m) + 4 for m in self.pending) + len(data) + 4 > CAPACITY:
                return "skipped: the stream would be full"
            call("send", {"stream": self.handle, "data": data})
            self.pending.append(data)
            return None
        if not self.pending:
            return "skipped: it would wait for a message forever"
        expected = self.pending.pop(0)
        try:
            got = call("receive", {"stream": self.handle})
        except Raised as raised:
            raise Divergence(op, show(expected), raised.words) from None
        if got != expected and not (hasattr(got, "matches") and got.matches(expected)):
            raise Divergence(op, show(expected), show(got))
        return None

    def teardown(self, call: Call) -> None:
        if self.handle is not None:
            call("close", {"stream": self.handle})


def _numbered(raw: list[tuple[str, int]]) -> list[Op]:
    ops = []
    for index, (kind, size) in enumerate(raw):
        if kind == "send":
            data = generate(size, index)
            ops.append(Op("send", (("data", data),), f"send(<{size} bytes>)"))
        else:
            ops.append(Op("receive", (), "receive()"))
    return ops
