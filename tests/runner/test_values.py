"""Wire values: round trips, digests for long bytes, and no trusted-side expansion."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.runner import values


@given(st.binary(max_size=values.INLINE_BYTES))
def test_short_bytes_round_trip(data: bytes) -> None:
    """Bytes up to the inline limit come back byte-exact."""
    assert values.from_wire(values.to_wire(data)) == data


def test_long_bytes_travel_as_a_digest() -> None:
    """Long bytes come back as a digest that matches exactly those bytes and no others."""
    data = values.generate(200_000, 5)
    digest = values.from_wire(values.to_wire(data))
    assert isinstance(digest, values.Digest) and len(digest) == 200_000
    assert digest.matches(data) and not digest.matches(data[:-1] + b"x")


def test_generator_is_shake256_of_the_seed() -> None:
    """Generated payloads are reproducible in any language: SHAKE-256 of 'conformance:<seed>'."""
    assert values.generate(64, 9) == hashlib.shake_256(b"conformance:9").digest(64)
    assert values.generate(0, 9) == b""


def test_trusted_side_never_expands_generated_payloads() -> None:
    """An actor cannot make the grader allocate by sending a huge $gen."""
    with pytest.raises(ValueError):
        values.from_wire({"$gen": {"size": 10**12, "seed": 1}})


def test_objects_become_handles_in_actors_only() -> None:
    """Non-data objects stay in the actor as handles; the trusted side refuses to send them."""
    table: list[object] = []
    thing = object()
    wire = values.to_wire({"x": thing}, handles=table)
    assert wire == {"x": {"$handle": 0, "type": "object"}} and table == [thing]
    assert values.from_wire(wire, handles=table) == {"x": thing}
    with pytest.raises(TypeError):
        values.to_wire(thing)


def test_dollar_keys_are_escaped() -> None:
    """A mapping whose keys start with '$' is not mistaken for a special value."""
    data = {"$bytes": "not really"}
    assert values.from_wire(values.to_wire(data)) == data
