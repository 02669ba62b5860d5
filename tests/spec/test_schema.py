"""Tests for conformance.spec.schema and conformance.spec.vocabulary."""

from __future__ import annotations

import errno
import json
import re
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conformance.spec import schema as spec_schema
from conformance.spec import vocabulary as vocab

SCHEMA = spec_schema.build_schema()
#: Definitions that are open on purpose: plain mappings match mapping-for-mapping.
OPEN_DEFS = {"plain_value", "plain_matcher"}


def validator_for(definition: str) -> Draft202012Validator:
    """A validator of one ``$defs`` entry."""
    return Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{definition}"})


def is_valid(definition: str, instance: Any) -> bool:
    """Whether ``instance`` is valid against ``$defs/definition``."""
    return bool(validator_for(definition).is_valid(instance))


def walk(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object inside ``node``, with a JSON-pointer-like path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


# --- the generated file -------------------------------------------------------------------


def test_committed_file_is_current() -> None:
    """spec.schema.json equals the generated schema (regenerate with --write)."""
    assert spec_schema.committed_text() == spec_schema.schema_text()


def test_check_mode(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """--check exits 0 when the file is current and 1 when it is stale."""
    assert spec_schema.main(["--check"]) == 0
    monkeypatch.setattr(spec_schema, "committed_text", lambda: "{}\n")
    assert spec_schema.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().err


def test_main_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    """Without options the schema is printed as JSON."""
    assert spec_schema.main([]) == 0
    assert json.loads(capsys.readouterr().out) == SCHEMA


def test_schema_is_valid_draft_2020_12() -> None:
    """The schema itself is valid under the draft 2020-12 metaschema."""
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)


def test_build_schema_returns_fresh_copies() -> None:
    """Mutating one built schema does not change the next."""
    spec_schema.build_schema()["$defs"].clear()
    assert spec_schema.build_schema()["$defs"]


# --- shape ---------------------------------------------------------------------------------


def test_every_object_is_closed() -> None:
    """Every schema with properties forbids additional properties."""
    for path, node in walk(SCHEMA):
        # An ``if`` only tests a condition; it defines no object.
        if "properties" in node and "/if" not in path:
            assert node.get("additionalProperties") is False, path


def test_open_definitions_are_only_the_plain_ones() -> None:
    """Only plain value and matcher mappings accept arbitrary keys."""
    for name, definition in SCHEMA["$defs"].items():
        extra = definition.get("additionalProperties")
        if extra not in (None, False):
            assert name in OPEN_DEFS or "propertyNames" in definition, name


def test_properties_have_hover_help() -> None:
    """Every property has a markdownDescription, directly or through its $ref."""
    defs = SCHEMA["$defs"]
    for path, node in walk(SCHEMA):
        for name, prop in node.get("properties", {}).items():
            if not isinstance(prop, dict) or path.endswith("/properties") or "/if" in path:
                continue
            target = defs.get(prop.get("$ref", "").rsplit("/", 1)[-1], {})
            assert "markdownDescription" in prop or "markdownDescription" in target, f"{path}/{name}"


def test_required_definitions_exist() -> None:
    """$defs has the case, each step kind, value, matcher and expect."""
    names = {"case", "step", "call_step", "spawn_step", "await_step", "observe_step", "barrier_step"}
    assert names | {"value", "matcher", "expect"} <= set(SCHEMA["$defs"])


def test_no_way_to_express_a_delay() -> None:
    """No key anywhere in the schema names a sleep, delay, pause or duration."""
    words = re.compile(r"sleep|delay|pause|duration|wait_for|after_ms|seconds", re.IGNORECASE)
    for path, node in walk(SCHEMA):
        for name in node.get("properties", {}):
            assert not words.search(name), f"{path}/{name}"
    assert not is_valid("step", {"sleep": 1})
    assert not is_valid("call_step", {"actor": "a", "call": "os:sleep"})
    assert not is_valid("call_step", {"actor": "a", "call": "time:sleep"})


# --- vocabularies ----------------------------------------------------------------------------


def test_errno_names_cover_linux_python() -> None:
    """ERRNO_NAMES holds every errno name this Python knows, aliases included, sorted."""
    known = set(errno.errorcode.values()) | {"EWOULDBLOCK", "EDEADLK", "EOPNOTSUPP"}
    assert known <= set(vocab.ERRNO_NAMES)
    assert list(vocab.ERRNO_NAMES) == sorted(vocab.ERRNO_NAMES)


def test_signal_names_cover_signals() -> None:
    """SIGNAL_NAMES holds every signal.Signals member name, sorted."""
    assert set(signal.Signals.__members__) <= set(vocab.SIGNAL_NAMES)
    assert "SIGRTMIN" in vocab.SIGNAL_NAMES
    assert list(vocab.SIGNAL_NAMES) == sorted(vocab.SIGNAL_NAMES)


def test_error_kinds_are_builtin_exceptions() -> None:
    """Every error kind names a built-in exception class."""
    import builtins

    for name in vocab.ERROR_KINDS:
        assert issubclass(getattr(builtins, name), BaseException), name


def test_behaviour_catalogue() -> None:
    """behaviours.tsv has the 288 catalogue IDs with sections and summaries."""
    assert len(vocab.BEHAVIOURS) == 288
    assert "PIPE-EOF-01" in vocab.BEHAVIOUR_IDS and "SIG-DFL-HUP" in vocab.BEHAVIOUR_IDS
    pattern = re.compile(spec_schema.BEHAVIOUR_REF_PATTERN)
    for behaviour in vocab.BEHAVIOURS.values():
        assert pattern.match(behaviour.id), behaviour.id
        assert behaviour.section and 0 < len(behaviour.summary) <= 120
    assert vocab.sections()[0] == "Anonymous pipes and FIFOs / Pipes"


def test_schema_enums_come_from_vocabularies() -> None:
    """The schema's closed lists are the vocabularies' tuples."""
    defs = SCHEMA["$defs"]
    assert defs["visibility"]["enum"] == list(vocab.VISIBILITIES)
    assert defs["observe_step"]["properties"]["observe"]["enum"] == list(vocab.OBSERVATIONS)
    assert defs["case"]["properties"]["requires"]["items"]["enum"] == list(vocab.CAPABILITIES)
    signals = defs["expect"]["properties"]["exit"]["properties"]["signal"]["enum"]
    assert signals == list(vocab.SIGNAL_NAMES)
    for op in vocab.BUILTIN_OPS:
        assert is_valid("call_step", {"actor": "a", "call": f"os:{op}"})


# --- what validates --------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", ["PIPE-EOF1", "A-1", "MSGQ2-X9"])
def test_case_id_accepted(case_id: str) -> None:
    """Case IDs follow ^[A-Z][A-Z0-9]*-[A-Z0-9]+$."""
    assert is_valid("case_id", case_id)


@pytest.mark.parametrize("case_id", ["pipe-eof1", "PIPE-EOF-1", "PIPE", "-A", "PIPE_EOF1", 5])
def test_case_id_rejected(case_id: Any) -> None:
    """Anything else is not a case ID."""
    assert not is_valid("case_id", case_id)


@pytest.mark.parametrize(
    "ref",
    ["man:pipe(7)", "man:pipe(2) EXAMPLES", "man:mq_open(3p)", "pydoc:os.pipe", "posix:write",
     "ltp:pipe/pipe01.c", "PIPE-EOF-01", "SIG-DFL-HUP", "PMQ-02"],
)
def test_reference_accepted(ref: str) -> None:
    """Man pages, scheme:text sources and behaviour IDs are references."""
    assert is_valid("reference", ref)


@pytest.mark.parametrize("ref", ["man:pipe", "man:Pipe(7)", "pipe(7)", "PIPE", "pipe-eof-01", ""])
def test_reference_rejected(ref: str) -> None:
    """Malformed references are refused."""
    assert not is_valid("reference", ref)


def test_file_fields() -> None:
    """Spec names and semver versions follow their patterns."""
    spec_name = re.compile(spec_schema.SPEC_NAME_PATTERN)
    semver = re.compile(spec_schema.SEMVER_PATTERN)
    assert spec_name.match("sysv_msg") and not spec_name.match("Pipe")
    assert semver.match("1.0.0") and semver.match("2.1.3-rc.1+build.5")
    assert not semver.match("1.0") and not semver.match("01.0.0")


VALUES = [1, 2.5, True, None, "plain", "$p", "$p.1", {"str": "$literal"}, {"text": "abc\n"},
          {"hex": "00 ff10"}, {"gen": {"size": 1048576, "seed": 7}}, {"gen": {"size": "$size"}},
          [1, "$p.0", {"text": "x"}], {"any": {"nested": [1, 2]}}]


@pytest.mark.parametrize("value", VALUES)
def test_values_from_the_format_doc(value: Any) -> None:
    """Every form of the values table validates."""
    assert is_valid("value", value)


@pytest.mark.parametrize(
    "value",
    ["$", "$ p", "$p..1", {"text": 1}, {"hex": "0"}, {"hex": "zz"}, {"gen": {"seed": 1}},
     {"gen": {"size": -1}}, {"text": "a", "hex": "00"}, {"str": "a", "x": 1}],
)
def test_bad_values(value: Any) -> None:
    """Malformed values are refused."""
    assert not is_valid("value", value)


MATCHERS = [2, "x", None, [1, {"type": "int"}], {"text": "hi"}, {"hex": "00"}, {"gen": {"size": 4, "seed": 1}},
            {"len": 2}, {"len": "$n"}, {"type": "bytes"}, {"eq": "$p.0"}, {"ne": "$p.0"}, {"ge": 1, "le": 4096},
            {"gt": 0}, {"lt": "$max"}, {"one_of": [1, {"type": "none"}]}, {"all_of": [{"ge": 0}, {"lt": 9}]},
            {"items": [{"type": "int"}, {"type": "int"}]}, {"contains": {"ge": 1}}, {"any": True},
            {"pipe_read_ends": 1, "zombies": {"le": 0}}]


@pytest.mark.parametrize("matcher", MATCHERS)
def test_matchers_from_the_format_doc(matcher: Any) -> None:
    """Every form of the matchers table validates, and plain mappings too."""
    assert is_valid("matcher", matcher)


@pytest.mark.parametrize(
    "matcher",
    [{"len": -1}, {"type": "integer"}, {"one_of": []}, {"any": False}, {"len": 1, "type": "bytes"},
     {"ge": "x"}, {"len": 2, "extra": 1}, {"contains": {"type": "nope"}}],
)
def test_bad_matchers(matcher: Any) -> None:
    """Malformed matchers are refused."""
    assert not is_valid("matcher", matcher)


def test_expect_shapes() -> None:
    """raises takes a name or a list; returns, raises and eof exclude each other."""
    assert is_valid("expect", {"raises": "EPIPE"})
    assert is_valid("expect", {"raises": ["EAGAIN", "EWOULDBLOCK", "BlockingIOError"]})
    assert is_valid("expect", {"exit": {"signal": "SIGPIPE"}})
    assert not is_valid("expect", {"raises": []})
    assert not is_valid("expect", {"raises": "EPIPEX"})
    assert not is_valid("expect", {"returns": 1, "eof": True})
    assert not is_valid("expect", {"exit": {}})


def test_step_needs_exactly_one_kind() -> None:
    """A step has exactly one of call, spawn, await, observe, barrier."""
    assert is_valid("step", {"actor": "p", "call": "make_pipe"})
    assert is_valid("step", {"barrier": ["p"]})
    assert not is_valid("step", {"actor": "p"})
    assert not is_valid("step", {"actor": "p", "call": "f", "spawn": "c"})
    assert not is_valid("step", {"await": "w", "barrier": ["p"]})


def test_step_expectations_fit_their_kind() -> None:
    """Calls cannot expect exits, observations cannot expect returns, awaits cannot block."""
    assert not is_valid("step", {"actor": "p", "call": "f", "expect": {"exit": {"code": 0}}})
    assert not is_valid("step", {"observe": "fds", "actor": "p", "expect": {"returns": 1}})
    assert not is_valid("step", {"await": "w", "expect": {"blocks": True}})


def test_observe_target_only_for_pipe() -> None:
    """observe: pipe needs actor and target; other observations take no target."""
    assert is_valid("step", {"observe": "pipe", "actor": "p", "target": "$p.0"})
    assert not is_valid("step", {"observe": "pipe", "actor": "p"})
    assert not is_valid("step", {"observe": "fds", "actor": "p", "target": 3})
    assert is_valid("step", {"observe": "processes"})
    assert not is_valid("step", {"observe": "exit"})


@pytest.mark.parametrize("call", ["make_pipe", "Child", "$ch.send", "$objs.0.close", "os:read"])
def test_call_names_accepted(call: str) -> None:
    """Calls name a module function or class, a method of a saved object, or an os: operation."""
    assert is_valid("call_step", {"actor": "p", "call": call})


@pytest.mark.parametrize("call", ["os:fork", "time:sleep", "$ch", "a.b", "make pipe", ""])
def test_call_names_rejected(call: str) -> None:
    """Other call strings are refused."""
    assert not is_valid("call_step", {"actor": "p", "call": call})
