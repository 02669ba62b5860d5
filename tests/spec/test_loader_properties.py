"""Property tests for the loader: valid documents round-trip, garbage fails cleanly."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.spec import CallStep, CaseError, Spec, SpecError
from conformance.spec import vocabulary as vocab
from conformance.spec._source import split_lines
from conformance.spec.loader import parse_spec

MINIMAL = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")
FILE = "specs/generated.yaml"
FUNCTIONS = ("make_pipe", "write_all", "read_some")

# Kept small so the suite stays fast (pure-Python YAML parses a spec in ~10 ms); a
# 6000-example run of each found nothing when these tests were written.
FAST = settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(FAST, max_examples=30)

# --- generated valid documents ----------------------------------------------------------------

names = st.from_regex(r"\A[a-z][a-z0-9_]{0,6}\Z")
case_ids = st.from_regex(r"\A[A-Z][A-Z0-9]{0,3}-[A-Z0-9]{1,3}\Z")
titles = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30)
# Strings that are not variable references (those must name a saved variable).
plain_strings = st.text(max_size=10).filter(lambda s: not s.startswith("$"))
values = st.one_of(
    st.integers(-(2**40), 2**40),
    st.booleans(),
    st.none(),
    plain_strings,
    st.builds(lambda t: {"text": t}, plain_strings),
    st.builds(lambda b: {"hex": b.hex()}, st.binary(max_size=8)),
)
matchers = st.one_of(
    values,
    st.builds(lambda n: {"len": n}, st.integers(0, 100)),
    st.builds(lambda t: {"type": t}, st.sampled_from(vocab.TYPE_NAMES)),
    st.builds(lambda lo, hi: {"ge": lo, "le": hi}, st.integers(), st.integers()),
    st.just({"any": True}),
)
error_names = st.sampled_from((*vocab.ERRNO_NAMES, *vocab.ERROR_KINDS))
expects = st.one_of(
    st.just({}),
    st.builds(lambda m: {"returns": m}, matchers),
    st.builds(lambda e: {"raises": e}, error_names),
    st.builds(lambda es: {"raises": es}, st.lists(error_names, min_size=1, max_size=3, unique=True)),
    st.just({"eof": True}),
)


@st.composite
def call_steps(draw: st.DrawFn, actors: list[str]) -> dict[str, Any]:
    """A call step by one of ``actors``."""
    step: dict[str, Any] = {"actor": draw(st.sampled_from(actors))}
    step["call"] = draw(st.sampled_from((*FUNCTIONS, *(f"os:{op}" for op in vocab.BUILTIN_OPS))))
    step["args"] = draw(st.lists(values, max_size=3))
    expect = draw(expects)
    if expect:
        step["expect"] = expect
    return step


@st.composite
def cases(draw: st.DrawFn, case_id: str) -> dict[str, Any]:
    """One valid case with its own actors and call steps."""
    actors = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    roles = {a: draw(st.sampled_from(vocab.ROLES)) for a in actors}
    case: dict[str, Any] = {"id": case_id, "title": draw(titles), "references": ["man:pipe(7)"]}
    for key, strategy in (("timeout", st.integers(1, 60)), ("weight", st.integers(0, 5)),
                          ("visibility", st.sampled_from(vocab.VISIBILITIES))):
        if draw(st.booleans()):
            case[key] = draw(strategy)
    case["actors"] = roles
    case["steps"] = draw(st.lists(call_steps(actors), min_size=1, max_size=4))
    return case


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A whole valid spec document."""
    ids = draw(st.lists(case_ids, min_size=1, max_size=4, unique=True))
    return {
        "spec": draw(names),
        "version": f"{draw(st.integers(0, 9))}.{draw(st.integers(0, 9))}.{draw(st.integers(0, 9))}",
        "title": draw(titles),
        "interface": {
            "module": "ipc_generated",
            "contract": draw(titles),
            "functions": [{"name": f, "signature": f"{f}()"} for f in FUNCTIONS],
        },
        "defaults": {"timeout": draw(st.integers(1, 30))},
        "cases": [draw(cases(case_id)) for case_id in ids],
    }


def check_call(step: Any, raw: dict[str, Any]) -> None:
    """A loaded call step holds what the document said."""
    assert isinstance(step, CallStep)
    assert (step.actor, step.call, list(step.args)) == (raw["actor"], raw["call"], raw["args"])
    expect = raw.get("expect", {})
    assert step.expect.has_returns == ("returns" in expect)
    raises = expect.get("raises")
    wanted = None if raises is None else frozenset([raises] if isinstance(raises, str) else raises)
    assert step.expect.raises == wanted


@FEW
@given(documents())
def test_valid_documents_round_trip(doc: dict[str, Any]) -> None:
    """A generated valid document loads with no broken case and keeps its facts."""
    # Non-ASCII is escaped: PyYAML's emitter does not round-trip "\x85" with allow_unicode.
    text = yaml.safe_dump(doc, sort_keys=False)
    spec = parse_spec(text.encode("utf-8"), FILE)
    assert spec.broken == ()
    assert spec.digest == hashlib.sha256(text.encode("utf-8")).hexdigest()
    lines = split_lines(text)
    for case, raw in zip(spec.cases, doc["cases"], strict=True):
        assert (case.id, case.title) == (raw["id"], raw["title"])
        assert case.timeout == raw.get("timeout", doc["defaults"]["timeout"])
        assert [a.name for a in case.actors] == list(raw["actors"])
        assert lines[case.location.line - 1][case.location.column - 1 :].startswith("id:")
        for step, raw_step in zip(case.steps, raw["steps"], strict=True):
            check_call(step, raw_step)


# --- garbage ------------------------------------------------------------------------------------


def assert_inside(raw: bytes, error: SpecError | CaseError) -> None:
    """The error's position is a real line and column of the file."""
    lines = split_lines(raw.decode("utf-8", errors="replace").removeprefix("\ufeff")) or [""]
    location = error.location
    assert 1 <= location.line <= len(lines), (location, len(lines))
    assert 1 <= location.column <= len(lines[location.line - 1]) + 1, location
    if isinstance(error, SpecError):
        assert error.source_line == lines[location.line - 1]
        assert str(error).startswith(f"{FILE}:{location.line}:{location.column}: ")


def load_or_error(raw: bytes) -> None:
    """Load ``raw``: it must load, or raise SpecError, with every position inside the file."""
    try:
        spec: Spec = parse_spec(raw, FILE)
    except SpecError as error:
        assert_inside(raw, error)
        return
    for broken in spec.broken:
        assert_inside(raw, broken)


YAML_BITS = ["\n", ": ", "- ", "{", "}", "[", "]", ",", "&a ", "*a", "!!binary ", "<<: ", "\t", "'", '"',
             "retuns", "$", "2020-01-01", "yes", "~", "#", "? ", "|\n", "  ", "id: X-1\n", "\x85", "\ufeff", "%"]


@FAST
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_garbage_raises_only_spec_error(raw: bytes) -> None:
    """Arbitrary bytes never raise anything but SpecError, and errors point inside the file."""
    load_or_error(raw)


@st.composite
def mutations(draw: st.DrawFn) -> str:
    """The minimal spec with a few random edits: deletions, insertions, moved lines."""
    text = MINIMAL
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["delete", "insert", "line"]))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif kind == "insert":
            bit = draw(st.one_of(st.sampled_from(YAML_BITS), st.text(max_size=5)))
            text = text[:at] + bit + text[at:]
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


@FEW
@given(mutations())
def test_mutated_spec_raises_only_spec_error(text: str) -> None:
    """Randomly damaged specs load or raise SpecError, with every position inside the file."""
    load_or_error(text.encode("utf-8", "surrogatepass"))
