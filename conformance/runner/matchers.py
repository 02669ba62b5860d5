"""Matchers: judge an observed value against what the spec expects.

A matcher is plain spec data (see ``docs/spec-format.md``): a literal must be equal; a
mapping with a matcher key (``len``, ``ge``, ``text``, ...) is that matcher; any other
mapping matches the observed mapping key by key (keys not named are not checked); a list
matches item for item. :func:`mismatch` returns ``None`` on a match and otherwise a short
sentence in the student's terms saying what differed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from conformance.runner.values import Digest, Handle, generate

#: Resolves ``$var`` references (and variant parameters) in matchers.
Resolver = Callable[[Any], Any]

_TYPES: dict[str, Callable[[Any], bool]] = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "bytes": lambda v: isinstance(v, (bytes, Digest)),
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
    "dict": lambda v: isinstance(v, dict),
    "none": lambda v: v is None,
    "object": lambda v: isinstance(v, Handle),
}

_BYTES_KEYS = ("text", "hex", "gen")
MATCHER_KEYS = frozenset(
    {"len", "type", "eq", "ne", "ge", "gt", "le", "lt", "one_of", "all_of", "items", "contains", "any", *_BYTES_KEYS}
)


def expected_bytes(spec: dict[str, Any], resolve: Resolver) -> bytes:
    """The bytes a ``{text|hex|gen: ...}`` form stands for."""
    if "text" in spec:
        return str(resolve(spec["text"])).encode("utf-8")
    if "hex" in spec:
        return bytes.fromhex(str(resolve(spec["hex"])).replace(" ", ""))
    gen = spec["gen"]
    return generate(int(resolve(gen["size"])), int(resolve(gen.get("seed", 0))))


def is_matcher(spec: Any) -> bool:
    """True for a mapping whose keys are all matcher keys."""
    return isinstance(spec, dict) and bool(spec) and set(spec) <= MATCHER_KEYS


def mismatch(spec: Any, observed: Any, resolve: Resolver = lambda v: v) -> str | None:
    """``None`` when ``observed`` satisfies ``spec``; otherwise what differed."""
    spec = resolve(spec)
    if is_matcher(spec):
        for key, argument in spec.items():
            problem = _CHECKS[key](argument, observed, resolve)
            if problem:
                return problem
        return None
    if isinstance(spec, dict):
        return _mapping(spec, observed, resolve)
    if isinstance(spec, list):
        return _items(spec, observed, resolve)
    return None if _equal(spec, observed) else f"expected {show(spec)}, got {show(observed)}"


def _mapping(spec: dict[str, Any], observed: Any, resolve: Resolver) -> str | None:
    if not isinstance(observed, dict):
        return f"expected a mapping, got {show(observed)}"
    for key, sub in spec.items():
        if key not in observed:
            return f"'{key}' is missing"
        problem = mismatch(sub, observed[key], resolve)
        if problem:
            return f"{key}: {problem}"
    return None


def _items(spec: list[Any], observed: Any, resolve: Resolver) -> str | None:
    if not isinstance(observed, (list, tuple)):
        return f"expected a list of {len(spec)} items, got {show(observed)}"
    if len(spec) != len(observed):
        return f"expected {len(spec)} items, got {len(observed)}: {show(observed)}"
    for index, (sub, item) in enumerate(zip(spec, observed, strict=True)):
        problem = mismatch(sub, item, resolve)
        if problem:
            return f"item {index}: {problem}"
    return None


def _equal(expected: Any, observed: Any) -> bool:
    if isinstance(observed, bool) or isinstance(expected, bool):
        return type(observed) is type(expected) and observed == expected
    if isinstance(expected, float) or isinstance(observed, float):
        return isinstance(observed, (int, float)) and math.isclose(expected, observed)
    if isinstance(observed, Digest) and isinstance(expected, (bytes, Digest)):
        return observed == expected
    if isinstance(expected, Digest) and isinstance(observed, bytes):
        return expected.matches(observed)
    return type(expected) is type(observed) and expected == observed  # type: ignore[no-any-return]


def _bytes(spec: dict[str, Any]) -> Callable[[Any, Any, Resolver], str | None]:
    def check(argument: Any, observed: Any, resolve: Resolver) -> str | None:
        expected = expected_bytes(spec, resolve)
        if _equal(expected, observed):
            return None
        return f"expected {show(expected)}, got {show(observed)}"

    return check


def _length(argument: Any, observed: Any, resolve: Resolver) -> str | None:
    try:
        size = len(observed)
    except TypeError:
        return f"expected something of length {argument}, got {show(observed)}"
    return None if size == resolve(argument) else f"expected length {resolve(argument)}, got length {size}"


def _type(argument: Any, observed: Any, resolve: Resolver) -> str | None:
    return None if _TYPES[argument](observed) else f"expected a value of type {argument}, got {show(observed)}"


def _bound(name: str, test: Callable[[Any, Any], bool], words: str) -> Callable[[Any, Any, Resolver], str | None]:
    def check(argument: Any, observed: Any, resolve: Resolver) -> str | None:
        limit = resolve(argument)
        if not isinstance(observed, (int, float)) or isinstance(observed, bool):
            return f"expected a number {words} {limit}, got {show(observed)}"
        return None if test(observed, limit) else f"expected a number {words} {limit}, got {observed}"

    return check


def _one_of(argument: Any, observed: Any, resolve: Resolver) -> str | None:
    if any(mismatch(option, observed, resolve) is None for option in argument):
        return None
    return f"expected one of {', '.join(show(resolve(o)) for o in argument)}; got {show(observed)}"


def _all_of(argument: Any, observed: Any, resolve: Resolver) -> str | None:
    for option in argument:
        problem = mismatch(option, observed, resolve)
        if problem:
            return problem
    return None


def _contains(argument: Any, observed: Any, resolve: Resolver) -> str | None:
    if isinstance(observed, (list, tuple)) and any(mismatch(argument, item, resolve) is None for item in observed):
        return None
    return f"expected a list containing {show(resolve(argument))}, got {show(observed)}"


_CHECKS: dict[str, Callable[[Any, Any, Resolver], str | None]] = {
    "len": _length,
    "type": _type,
    "eq": lambda a, o, r: None if _equal(r(a), o) else f"expected {show(r(a))}, got {show(o)}",
    "ne": lambda a, o, r: f"expected anything but {show(r(a))}" if _equal(r(a), o) else None,
    "ge": _bound("ge", lambda o, lim: o >= lim, "at least"),
    "gt": _bound("gt", lambda o, lim: o > lim, "greater than"),
    "le": _bound("le", lambda o, lim: o <= lim, "at most"),
    "lt": _bound("lt", lambda o, lim: o < lim, "less than"),
    "one_of": _one_of,
    "all_of": _all_of,
    "items": lambda a, o, r: _items(a, o, r),
    "contains": _contains,
    "any": lambda a, o, r: None,
    "text": lambda a, o, r: _bytes({"text": a})(a, o, r),
    "hex": lambda a, o, r: _bytes({"hex": a})(a, o, r),
    "gen": lambda a, o, r: _bytes({"gen": a})(a, o, r),
}


def show(value: Any, limit: int = 120) -> str:
    """A short, unambiguous rendering of a value for a student-facing message."""
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
        if len(data) > 48:
            return f"{len(data)} bytes starting {data[:24]!r}"
        return repr(data)
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(spec: Any, resolve: Resolver = lambda v: v) -> str:
    """The expectation in words, for "expected ... / observed ..." lines."""
    spec = resolve(spec)
    if is_matcher(spec):
        parts = []
        for key, argument in spec.items():
            if key in _BYTES_KEYS:
                parts.append(show(expected_bytes({key: argument}, resolve)))
            elif key == "any":
                parts.append("any value")
            elif key in ("one_of", "all_of"):
                joiner = " or " if key == "one_of" else " and "
                parts.append(joiner.join(describe(option, resolve) for option in argument))
            else:
                parts.append(f"{key} {show(resolve(argument))}")
        return ", ".join(parts)
    return show(spec)
