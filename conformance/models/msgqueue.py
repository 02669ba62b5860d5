"""The System V message queue rules (msgop(2)), as an executable model.

State: the queued messages in arrival order. ``msgrcv`` with selector 0 takes the oldest
message; a positive selector the oldest of exactly that type; a negative selector the
oldest message of the *lowest* type not above its absolute value. Blocking receives are
generated too, but run only when the model knows a message matches (otherwise they would
wait forever by design); they are then indistinguishable from non-blocking ones.

Bindings: ``open`` (gets ``$key``; its result is saved as ``$queue``), ``send`` (``$data``,
``$type``), ``receive`` (``$selector``, ``$block``; must return ``[type, data]`` and raise
when there is no message), ``close``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from conformance.models.base import Call, Divergence, Op, Raised
from conformance.runner.matchers import show


class MessageQueue:
    """Model of one System V message queue (see the module docstring)."""

    BINDINGS = ("open", "send", "receive", "close")
    TITLE = "the System V message queue rules"

    def __init__(self, base_key: int) -> None:
        self.base_key = base_key
        self.queued: list[tuple[int, bytes]] = []
        self.handle: Any = None

    @staticmethod
    def operations(max_ops: int) -> st.SearchStrategy[list[Op]]:
        send = st.tuples(st.just("send"), st.integers(1, 4), st.integers(1, 3))
        receive = st.tuples(st.just("receive"), st.integers(-4, 4), st.booleans())
        raw = st.lists(st.one_of(send, receive), max_size=max_ops)
        return raw.map(_numbered)

    def setup(self, call: Call, example: int) -> None:
        self.queued = []
        self.handle = call("open", {"key": self.base_key + example})

    def apply(self, call: Call, op: Op) -> str | None:
        values = dict(op.values)
        if op.name == "send":
            call("send", {"queue": self.handle, "data": values["data"], "type": values["type"]})
            self.queued.append((values["type"], values["data"]))
            return None
        expected = self._pick(values["selector"])
        if expected is None and values["block"]:
            return "skipped: it would block forever"
        try:
            got = call("receive", {"queue": self.handle, "selector": values["selector"], "block": values["block"]})
        except Raised as raised:
            if expected is None:
                return None
            raise Divergence(op, _message(expected), raised.words) from None
        if expected is None:
            raise Divergence(op, "no message (an error: nothing matches)", show(got))
        if not (isinstance(got, list) and len(got) == 2 and list(got) == [expected[0], expected[1]]):
            raise Divergence(op, _message(expected), show(got))
        self.queued.remove(expected)
        return None

    def _pick(self, selector: int) -> tuple[int, bytes] | None:
        if selector == 0:
            return self.queued[0] if self.queued else None
        if selector > 0:
            return next((m for m in self.queued if m[0] == selector), None)
        eligible = [m for m in self.queued if m[0] <= -selector]
        if not eligible:
            return None
        lowest = min(m[0] for m in eligible)
        return next(m for m in eligible if m[0] == lowest)

    def teardown(self, call: Call) -> None:
        if self.handle is not None:
            call("close", {"queue": self.handle})


def _numbered(raw: list[tuple[str, int, Any]]) -> list[Op]:
    """Give every sent message a distinct, readable payload: b'a', b'bb', b'c', ..."""
    ops, sent = [], 0
    for kind, first, second in raw:
        if kind == "send":
            data = (chr(ord("a") + sent % 26) * second).encode()
            sent += 1
            ops.append(Op("send", (("type", first), ("data", data)), f"send(type={first}, {data!r})"))
        else:
            flag = "" if second else ", block=False"
            ops.append(Op("receive", (("selector", first), ("block", second)), f"receive(type={first}{flag})"))
    return ops


def _message(message: tuple[int, bytes]) -> str:
    return f"[{message[0]}, {message[1]!r}]"
