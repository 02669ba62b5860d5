"""The protocol decoder takes untrusted bytes: it must accept only bounded JSON objects."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.runner import protocol

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(st.binary(max_size=2048))
def test_decode_arbitrary_bytes_raises_only_protocol_error(data: bytes) -> None:
    """Whatever bytes arrive, decoding yields a dict or a ProtocolError, nothing else."""
    try:
        assert isinstance(protocol.decode(data), dict)
    except protocol.ProtocolError:
        pass


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_encode_decode_round_trip(message: dict) -> None:
    """Any JSON object survives encoding and decoding unchanged."""
    assert protocol.decode(protocol.encode(message)) == message


def test_deep_nesting_is_rejected_before_parsing() -> None:
    """A deeply nested message is refused (it could exhaust the parser's recursion)."""
    with pytest.raises(protocol.ProtocolError, match="nests deeper"):
        protocol.decode(b"[" * 10_000 + b"]" * 10_000)


def test_oversize_message_is_rejected() -> None:
    """Messages above the size cap are refused on both sides."""
    with pytest.raises(protocol.ProtocolError):
        protocol.encode({"x": "a" * protocol.MAX_MESSAGE})
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(b" " * (protocol.MAX_MESSAGE + 1))


def test_non_object_is_rejected() -> None:
    """Only JSON objects are messages."""
    with pytest.raises(protocol.ProtocolError, match="not an object"):
        protocol.decode(b"[1, 2]")


def test_sender_pid_comes_from_the_kernel() -> None:
    """With SO_PASSCRED the receiver learns the sender's real pid, whatever the message says."""
    trusted, actor = protocol.channel_pair()
    try:
        protocol.send(actor, {"type": "hello", "pid": 1})
        received = protocol.receive(trusted)
        assert received is not None and received.sender_pid == os.getpid()
    finally:
        trusted.close()
        actor.close()


def test_truncated_message_is_a_protocol_error() -> None:
    """A datagram larger than the cap arrives truncated and is refused, not half-parsed."""
    trusted, actor = protocol.channel_pair()
    try:
        actor.sendmsg([json.dumps({"x": "a" * (protocol.MAX_MESSAGE + 10)}).encode()])
        with pytest.raises(protocol.ProtocolError, match="larger than"):
            protocol.receive(trusted)
    finally:
        trusted.close()
        actor.close()


@pytest.mark.parametrize(
    "message",
    [{"type": "reply", "id": True, "status": "returned"}, {"type": "reply", "id": 1, "status": "won"},
     {"type": "reply", "id": 1, "status": "raised"}, {"type": "hello", "protocol": 2, "actor": "a",
                                                      "capabilities": []}],
)
def test_malformed_shapes_are_rejected(message: dict) -> None:
    """Replies and hellos with a wrong field type, status or version are refused."""
    with pytest.raises(protocol.ProtocolError):
        if message["type"] == "hello":
            protocol.check_hello(message)
        else:
            protocol.check_reply(message)
