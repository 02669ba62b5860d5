"""Matchers judge observed values; their messages say what differed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from conformance.runner import matchers, values


@given(st.integers() | st.text(max_size=10) | st.booleans() | st.none())
def test_literal_matches_itself_only(value: object) -> None:
    """A literal matches an equal value and not a different one."""
    assert matchers.mismatch(value, value) is None
    assert matchers.mismatch(value, [value]) is not None


def test_bool_is_not_an_int() -> None:
    """True does not match 1 (Python's bool is an int subclass; the spec's is not)."""
    assert matchers.mismatch(1, True) is not None


@given(st.integers(min_value=-1000, max_value=1000), st.integers(min_value=-1000, max_value=1000))
def test_bounds(value: int, limit: int) -> None:
    """ge/le/gt/lt agree with Python's comparisons."""
    assert (matchers.mismatch({"ge": limit}, value) is None) == (value >= limit)
    assert (matchers.mismatch({"lt": limit}, value) is None) == (value < limit)


def test_payload_forms() -> None:
    """text, hex and gen describe bytes; a digest matches its generated payload."""
    assert matchers.mismatch({"text": "hi"}, b"hi") is None
    assert matchers.mismatch({"hex": "68 69"}, b"hi") is None
    big = values.generate(100_000, 3)
    digest = values.from_wire(values.to_wire(big))
    assert matchers.mismatch({"gen": {"size": 100_000, "seed": 3}}, digest) is None
    assert matchers.mismatch({"gen": {"size": 100_000, "seed": 4}}, digest) is not None


def test_mapping_checks_only_named_keys() -> None:
    """A plain mapping matches the keys it names and reports the first that differs."""
    assert matchers.mismatch({"zombies": 0}, {"zombies": 0, "count": 3}) is None
    assert matchers.mismatch({"zombies": 0}, {"zombies": 2}) == "zombies: expected 0, got 2"


def test_variables_are_resolved() -> None:
    """'$name' strings are looked up through the resolver."""
    resolve = lambda v: 5 if v == "$n" else v
    assert matchers.mismatch({"len": "$n"}, b"12345", resolve) is None
    assert matchers.mismatch("$n", 6, resolve) is not None


def test_combinators() -> None:
    """one_of, all_of, items and contains combine other matchers."""
    assert matchers.mismatch({"one_of": [1, 2]}, 2) is None
    assert matchers.mismatch({"all_of": [{"ge": 1}, {"le": 3}]}, 4) is not None
    assert matchers.mismatch({"items": [{"type": "int"}, {"any": True}]}, [1, "x"]) is None
    assert matchers.mismatch({"contains": 3}, [1, 2]) is not None
