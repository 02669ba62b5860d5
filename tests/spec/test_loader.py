"""Tests for conformance.spec.loader: building the model, and precise errors."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import pytest

from conformance.spec import (
    AwaitStep,
    BarrierStep,
    CallStep,
    Location,
    ObserveStep,
    SpawnStep,
    Spec,
    SpecError,
    load_spec,
    load_specs,
)
from conformance.spec.loader import parse_spec, spec_files

DATA = Path(__file__).parent / "data"
MINIMAL = DATA / "minimal.yaml"
MINIMAL_TEXT = MINIMAL.read_text(encoding="utf-8")


def load_text(text: str, file: str = "specs/test.yaml") -> Spec:
    """Load a spec from text, named ``file`` in errors."""
    return parse_spec(text.encode("utf-8"), file)


def mutate(old: str, new: str) -> str:
    """The minimal spec with one piece of text replaced."""
    assert old in MINIMAL_TEXT, old
    return MINIMAL_TEXT.replace(old, new, 1)


def only_broken(spec: Spec) -> str:
    """The message of the spec's single broken case."""
    assert len(spec.broken) == 1, spec.broken
    return spec.broken[0].message


def assert_quotes_line(message: str, location: Location, source_line: str | None = None) -> None:
    """``message`` starts with file:line:column, then quotes the line with a caret under the column."""
    __tracebackhide__ = True
    first, quoted, caret = message.split("\n")
    assert first.startswith(f"{location}: ")
    assert quoted.startswith(f"{location.line:>6} |")
    text = source_line if source_line is not None else quoted.split(" | ", 1)[-1]
    near = text[location.column - 1 : location.column + 20].rstrip()
    assert quoted[caret.index("^") :].startswith(near)


@pytest.fixture(scope="module")
def minimal() -> Spec:
    """The example spec, loaded once."""
    return load_spec(MINIMAL)


# --- the model --------------------------------------------------------------------------------


def test_file_level_fields(minimal: Spec) -> None:
    """The file-level keys become the Spec's fields."""
    assert (minimal.name, minimal.version, minimal.title) == ("pipe", "1.0.0", "Anonymous pipes")
    assert minimal.path == str(MINIMAL)
    assert minimal.references == ("man:pipe(2)", "man:pipe(7)")
    assert minimal.retired == ("PIPE-OLD1",)
    assert minimal.broken == ()


def test_digest_is_sha256_of_bytes(minimal: Spec) -> None:
    """Spec.digest is the SHA-256 of the file's bytes."""
    assert minimal.digest == hashlib.sha256(MINIMAL.read_bytes()).hexdigest()


def test_interface(minimal: Spec) -> None:
    """The interface keeps module, contract and function signatures."""
    interface = minimal.interface
    assert interface.module == "ipc_pipe"
    assert interface.names() == frozenset({"make_pipe", "write_all"})
    assert interface.functions[0].signature == "make_pipe() -> tuple[int, int]"
    assert interface.contract.startswith("`make_pipe()`")


def test_interface_classes() -> None:
    """Classes and their methods load into ClassSpec and Signature values."""
    text = mutate(
        "defaults:",
        "  classes:\n    - name: Child\n      methods:\n"
        '        - {name: request, signature: "request(self, data: bytes) -> bytes"}\n'
        "defaults:",
    )
    klass = load_text(text).interface.classes[0]
    assert klass.name == "Child"
    assert klass.methods[0].name == "request"
    assert klass.doc == ""


def test_defaults_apply_to_cases(minimal: Spec) -> None:
    """Cases take the file's defaults unless they set their own."""
    first, second, third = minimal.cases
    assert (first.timeout, first.weight, first.visibility) == (5.0, 1.0, "visible")
    assert (second.timeout, second.weight) == (10.0, 2.0)
    assert third.visibility == "hidden"


def test_defaults_when_absent() -> None:
    """Without a defaults mapping the model's own defaults apply."""
    spec = load_text(mutate("defaults: {timeout: 5, weight: 1, visibility: visible}\n", ""))
    assert spec.cases[0].timeout == 5.0
    assert spec.defaults.visibility == "visible"


def test_case_fields(minimal: Spec) -> None:
    """Optional case keys become tuples and strings."""
    case = minimal.cases[1]
    assert case.id == "PIPE-EOF1"
    assert case.depends_on == ("PIPE-DIR1",)
    assert case.references == ("man:pipe(7)", "PIPE-EOF-01", "PIPE-EOF-02")
    assert case.hint.startswith("Close the write end")
    assert minimal.cases[0].requires == ("pipe",)
    assert minimal.cases[0].tags == ("basics",)


def test_actors_short_and_long_form(minimal: Spec) -> None:
    """`name: role` and `{role, spawned_by}` both become Actor values."""
    case = minimal.cases[1]
    assert case.actor("parent").role == "subject"
    assert case.actor("peer").role == "reference"
    assert case.actor("child").spawned_by == "parent"
    assert case.actor("parent").spawned_by is None


def test_variants_are_tuples_of_pairs(minimal: Spec) -> None:
    """Variant params keep their order as a tuple of (name, value) pairs."""
    small, big = minimal.cases[1].variants
    assert (small.name, small.params) == ("small", (("size", 1),))
    assert big.params == (("size", 65536),)


def test_step_kinds(minimal: Spec) -> None:
    """Each step mapping becomes the dataclass of its kind."""
    kinds = [type(step) for step in minimal.cases[1].steps]
    assert kinds == [
        CallStep,
        SpawnStep,
        CallStep,
        ObserveStep,
        CallStep,
        AwaitStep,
        CallStep,
        ObserveStep,
        BarrierStep,
    ]


def test_call_step_data(minimal: Spec) -> None:
    """Call arguments stay plain data; save, label and expect are kept."""
    write = minimal.cases[0].steps[1]
    assert isinstance(write, CallStep)
    assert write.args == ("$p.1", {"text": "hi"})
    assert write.kwargs == ()
    read = minimal.cases[1].steps[2]
    assert isinstance(read, CallStep)
    assert (read.label, read.expect.blocks) == ("r", True)


def test_kwargs_are_pairs() -> None:
    """kwargs become a tuple of (name, value) pairs in written order."""
    spec = load_text(mutate('args: ["$p.1", {text: "hi"}]', 'args: ["$p.1"]\n        kwargs: {data: {hex: "00 ff"}, n: 2}'))
    step = spec.cases[0].steps[1]
    assert isinstance(step, CallStep)
    assert step.kwargs == (("data", {"hex": "00 ff"}), ("n", 2))


def test_other_steps(minimal: Spec) -> None:
    """Spawn, await, observe and barrier steps keep their fields."""
    steps = minimal.cases[1].steps
    assert steps[1] == SpawnStep(location=steps[1].location, actor="parent", child="child")
    assert isinstance(steps[3], ObserveStep) and steps[3].target == "$p.0"
    assert isinstance(steps[5], AwaitStep) and steps[5].label == "r"
    assert isinstance(steps[7], ObserveStep) and steps[7].expect.exit == {"code": 0}
    assert isinstance(steps[8], BarrierStep) and steps[8].actors == ("parent",)


def test_raises_list_becomes_frozenset(minimal: Spec) -> None:
    """A list of acceptable errors becomes a frozenset."""
    step = minimal.cases[2].steps[2]
    assert isinstance(step, CallStep)
    assert step.expect.raises == frozenset({"EPIPE", "BrokenPipeError"})
    assert not step.expect.has_returns


def test_raises_string_becomes_frozenset() -> None:
    """A single error name becomes a one-element frozenset."""
    spec = load_text(mutate("raises: [EPIPE, BrokenPipeError]", "raises: EPIPE"))
    step = spec.cases[2].steps[2]
    assert isinstance(step, CallStep) and step.expect.raises == frozenset({"EPIPE"})


def test_returns_null_still_counts() -> None:
    """`returns: null` sets has_returns, so "must return None" is checked."""
    spec = load_text(mutate("expect: {returns: 2}", "expect: {returns: null}"))
    step = spec.cases[0].steps[1]
    assert isinstance(step, CallStep)
    assert step.expect.has_returns and step.expect.returns is None
    assert not step.expect.is_empty()


def test_locations(minimal: Spec) -> None:
    """Cases and steps carry the 1-based line and column where they start."""
    lines = MINIMAL_TEXT.splitlines()
    case = minimal.cases[0]
    assert lines[case.location.line - 1][case.location.column - 1 :].startswith("id: PIPE-DIR1")
    step = case.steps[1]
    assert lines[step.location.line - 1][step.location.column - 1 :].startswith("actor: parent")
    assert step.location.file == str(MINIMAL)


def test_load_specs_accepts_dirs_and_files(tmp_path: Path) -> None:
    """Directories give their *.yaml/*.yml files sorted; a file named twice loads once."""
    (tmp_path / "b.yaml").write_text(MINIMAL_TEXT)
    (tmp_path / "a.yml").write_text(MINIMAL_TEXT.replace("spec: pipe", "spec: apipe"))
    (tmp_path / "notes.txt").write_text("not a spec")
    specs = load_specs([tmp_path, tmp_path / "b.yaml"])
    assert [s.name for s in specs] == ["apipe", "pipe"]
    assert spec_files([tmp_path / "nested"]) == [tmp_path / "nested"]


def test_load_specs_raises_first_error(tmp_path: Path) -> None:
    """load_specs raises the SpecError of a file that is not a spec."""
    (tmp_path / "bad.yaml").write_text("spec: [\n")
    with pytest.raises(SpecError):
        load_specs([tmp_path])


def test_missing_file_is_oserror(tmp_path: Path) -> None:
    """A file that cannot be read is an OSError, not a SpecError."""
    with pytest.raises(FileNotFoundError):
        load_spec(tmp_path / "absent.yaml")


# --- broken cases ---------------------------------------------------------------------------


def test_broken_case_does_not_hide_others() -> None:
    """One invalid case becomes a CaseError; the other cases load."""
    spec = load_text(mutate("expect: {returns: 2}", "expect: {retuns: 2}"))
    assert [c.id for c in spec.cases] == ["PIPE-EOF1", "PIPE-EPIPE1"]
    assert [b.id for b in spec.broken] == ["PIPE-DIR1"]


def test_broken_case_without_readable_id() -> None:
    """A case whose id cannot be read is named cases[N]."""
    spec = load_text(mutate("  - id: PIPE-EOF1\n", "  - idd: PIPE-EOF1\n"))
    assert spec.broken[0].id == "cases[1]"


def test_broken_case_location_points_at_offending_node() -> None:
    """A CaseError's location is the offending node, and its message the full error."""
    spec = load_text(mutate("expect: {returns: 2}", "expect: {retuns: 2}"))
    broken = spec.broken[0]
    assert (broken.location.line, broken.location.column) == (35, 18)
    assert broken.message.startswith("specs/test.yaml:35:18: cases[0].steps[1].expect: ")


# (old text, new text, expected "line:col: path: message" prefix, file-level?)
ERRORS = [
    ("expect: {returns: 2}", "expect: {retuns: 2}", "35:18: cases[0].steps[1].expect: additional property 'retuns'"),
    ("id: PIPE-DIR1", "id: pipe-dir1", "20:9: cases[0].id: 'pipe-dir1': A case ID"),
    (
        "raises: [EPIPE, BrokenPipeError]",
        "raises: [EPIPX, EAGAIN]",
        "99:27: cases[2].steps[2].expect.raises[0]: 'EPIPX' is not an allowed value here (did you mean 'EPIPE'?)",
    ),
    ("requires: [pipe]", "requires: [pipes]", "23:16: cases[0].requires[0]: 'pipes'"),
    (
        "peer: {role: reference}",
        "peer: {role: referee}",
        "50:20: cases[1].actors.peer.role: 'referee' is not one of: subject, reference",
    ),
    (
        "{kernel: {pipe_read_ends: 0}}",
        "{kernel: {pipe_read_ends: {ge: 0, len: 1}}}",
        "102:43: cases[2].steps[3].expect.kernel.pipe_read_ends: Only ge, gt, le and lt",
    ),
    ('{text: "hi"}]', '{text: "hi", hex: "00"}]', "34:24: cases[0].steps[1].args[1]: An encoded value has exactly one key."),
    ("{gen: {size: 4096, seed: 7}}", '{hex: "0f0"}', "98:30: cases[2].steps[2].args[1].hex: '0f0': hex takes pairs"),
    (
        'args: ["$p.0", "$size"]',
        'args: ["$ p.0", "$size"]',
        "63:16: cases[1].steps[2].args[0]: '$ p.0': A string starting with $ is a variable",
    ),
    (
        "expect: {exit: {code: 0}}",
        "expect: {exit: {code: 0, signal: SIGPIPE}}",
        "80:24: cases[1].steps[7].expect.exit: exit takes exactly one",
    ),
    (
        "expect: {exit: {code: 0}}",
        "expect: {returns: 0}",
        "80:18: cases[1].steps[7].expect: 'returns': An expectation of observe takes only exit, kernel.",
    ),
    (
        "expect: {returns: {len: 0}}",
        "expect: {returns: {len: 0}, raises: EPIPE}",
        "74:17: cases[1].steps[5].expect: returns, raises and eof exclude each other",
    ),
    (
        "      - barrier: [parent]",
        "      - barrier: [parent]\n        call: x",
        "81:9: cases[1].steps[8]: A step has exactly one of the keys",
    ),
    ("      - barrier: [parent]", "      - sleep: 1", "81:9: cases[1].steps[8]: A step has exactly one of the keys"),
    ("call: os:close", "call: os:sleep", "71:15: cases[1].steps[4].call: 'os:sleep': call takes fn, $var.method or os:OP"),
    (
        "expect: {exit: {code: 0}}",
        "target: 3\n        expect: {exit: {code: 0}}",
        "78:9: cases[1].steps[7]: target applies only to observe: pipe and observe: sysv.",
    ),
    (
        'references: ["man:pipe(7)", PIPE-EPIPE-02]',
        'references: ["man:pipe", PIPE-EPIPE-02]',
        "85:18: cases[2].references[0]: 'man:pipe': A reference is",
    ),
    ("tags: [basics]", "tags: [basics, basics]", "24:20: cases[0].tags[1]: 'basics' is listed twice"),
    ("timeout: 10", "timeout: 0", "44:14: cases[1].timeout: 0 must be > 0"),
    (
        "  - id: PIPE-EPIPE1",
        "  - id: PIPE-EPIPE1\n    when: 2020-01-01",
        "84:11: cases[2].when: a YAML timestamp is not allowed here",
    ),
    ("  - id: PIPE-EPIPE1", "  - id: PIPE-EPIPE1\n    id: PIPE-X", "84:5: cases[2].id: duplicate key 'id' (first on line 83)"),
    (
        "    visibility: hidden\n    actors:\n      parent: subject\n",
        "    visibility: hidden\n    actors: {}\n",
        "87:13: cases[2].actors: needs at least 1 entry",
    ),
    # semantic checks
    (
        "- barrier: [parent]",
        "- barrier: [parent, ghost]",
        "81:27: cases[1].steps[8].barrier[1]: actor 'ghost' is not declared (declared: parent, peer, child)",
    ),
    (
        "      - actor: parent\n        spawn: child\n",
        "",
        "59:16: cases[1].steps[1].actor: actor 'child' is used before the spawn step",
    ),
    ("- await: r", "- await: q", "73:16: cases[1].steps[5].await: no earlier call is labelled 'q'"),
    (
        "label: r\n        expect: {blocks: true}",
        "expect: {blocks: true}",
        "64:26: cases[1].steps[2].expect.blocks: a call expected to block needs a label",
    ),
    (
        "child: {role: subject, spawned_by: parent}",
        "child: {role: reference, spawned_by: peer}",
        "60:16: cases[1].steps[1].spawn: actor 'child' is spawned_by 'peer', so 'parent' cannot spawn it",
    ),
    (
        "child: {role: subject, spawned_by: parent}",
        "child: {role: reference, spawned_by: parent}",
        "51:14: cases[1].actors.child: actor 'child' is a fork of 'parent', so it runs 'parent''s code",
    ),
    (
        "child: {role: subject, spawned_by: parent}",
        "child: {role: subject, spawned_by: ghost}",
        "51:42: cases[1].actors.child.spawned_by: spawned_by names 'ghost'",
    ),
    (
        "      - actor: parent\n        spawn: child\n",
        "      - actor: parent\n        spawn: peer\n",
        "60:16: cases[1].steps[1].spawn: actor 'peer' has no spawned_by",
    ),
    (
        "      - await: r\n        expect: {returns: {len: 0}}\n",
        "      - await: r\n      - await: r\n",
        "74:16: cases[1].steps[6].await: label 'r' is already awaited",
    ),
    (
        '        call: os:close\n        args: ["$p.1"]\n',
        '        call: os:close\n        label: r\n        args: ["$p.1"]\n',
        "72:16: cases[1].steps[4].label: label 'r' is already used",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), ERRORS, ids=[e[2].split(":")[2].strip() + "-" + str(i) for i, e in enumerate(ERRORS)]
)
def test_case_error_messages(old: str, new: str, expected: str) -> None:
    """Each invalid case is reported at the offending node with a precise message."""
    spec = load_text(mutate(old, new))
    message = only_broken(spec)
    assert message.startswith(f"specs/test.yaml:{expected}"), message
    assert_quotes_line(message, spec.broken[0].location)


FILE_ERRORS = [
    ("version: 1.0.0", "version: 1.0", "3:10: version: 1.0: version is semver"),
    ("title: Anonymous pipes", "titel: Anonymous pipes", "2:1: missing required property 'title'"),
    ("module: ipc_pipe", "module: ipc_pipe\n  module: x", "9:3: interface.module: duplicate key 'module' (first on line 8)"),
    ("spec: pipe", "spec: [pipe", "3:8: YAML syntax:"),
    ("spec: pipe", "spec: pipe\n\tx: 1", "3:1: YAML syntax:"),
    ("spec: pipe", "spec: yes", "2:7: spec: true: A spec name"),
    ("retired: [PIPE-OLD1]", "retired: [PIPE-OLD1, pipe-old]", "6:22: retired[1]: 'pipe-old'"),
    ("defaults: {timeout: 5,", "defaults: {timeout: -5,", "18:21: defaults.timeout: -5 must be > 0"),
    ("defaults: {timeout: 5,", "defaults: {sleep: 5,", "18:12: defaults: additional property 'sleep' is not allowed"),
]


@pytest.mark.parametrize(("old", "new", "expected"), FILE_ERRORS)
def test_file_error_messages(old: str, new: str, expected: str) -> None:
    """A file-level error raises SpecError at the offending node."""
    with pytest.raises(SpecError) as caught:
        load_text(mutate(old, new))
    assert str(caught.value).startswith(f"specs/test.yaml:{expected}"), str(caught.value)
    assert_quotes_line(str(caught.value), caught.value.location, caught.value.source_line)


RAW_ERRORS = [
    (b"", "1:1: the file is empty"),
    (b"# only a comment\n", "1:1: the file is empty"),
    (b"- a\n- b\n", "1:1: expected a mapping, got a list"),
    (b"a: &x [*x]\n", "1:4: a[0]: an alias refers to a node that contains it"),
    (b"base: &b {x: 1}\nother:\n  <<: *b\n", "3:3: other: merge keys (<<) are not supported"),
    (b"spec: p\x07ipe\n", "1:8: character U+0007 is not allowed in YAML"),
    (b"spec: pi\xffpe\n", "1:9: the file is not UTF-8 (byte 0xff)"),
    (b"a: " + b"[" * 60 + b"]" * 60 + b"\n", "1:52: a[0]"),
    (b"a: !custom 3\n", "1:4: a: the YAML tag !custom is not supported here"),
    (b"\xef\xbb\xbfspec: [\n", "1:8: YAML syntax:"),
    (b"spec: pipe\r\nversion: 1.0.0\r\ntitel: x\r\n", "1:1: missing required property 'title'"),
    (b"spec: pipe\n1: x\n", "2:1: a mapping key must be a string: write '1' in quotes"),
]


@pytest.mark.parametrize(("raw", "expected"), RAW_ERRORS)
def test_raw_errors(raw: bytes, expected: str) -> None:
    """YAML-level problems raise SpecError with a position inside the file."""
    with pytest.raises(SpecError) as caught:
        parse_spec(raw, "x.yaml")
    assert str(caught.value).startswith(f"x.yaml:{expected}"), str(caught.value)
    assert_quotes_line(str(caught.value), caught.value.location, caught.value.source_line)


def test_rendering_matches_format_doc() -> None:
    """SpecError renders exactly like the Errors example of docs/spec-format.md."""
    error = SpecError(
        "additional property 'retuns' is not allowed",
        file="specs/pipe.yaml",
        line=41,
        column=9,
        yaml_path="cases[3].steps[0].expect",
        source_line="        retuns: 2",
    )
    doc = (Path(__file__).parents[2] / "docs" / "spec-format.md").read_text(encoding="utf-8")
    assert f"```\n{error}\n```" in doc


def test_rendering_keeps_tabs_and_crops_long_lines() -> None:
    """The caret line copies tabs, and a long line is cut around the column."""
    tabbed = SpecError("m", file="f", line=1, column=3, source_line="\tx: 1")
    assert str(tabbed).endswith("|  \t ^") or str(tabbed).splitlines()[2] == "       | \t ^"
    long_line = "x" * 300 + "HERE" + "y" * 300
    cropped = SpecError("m", file="f", line=1, column=301, source_line=long_line)
    _, quoted, caret = str(cropped).split("\n")
    assert len(quoted) < 130
    assert quoted[caret.index("^") : caret.index("^") + 4] == "HERE"


def test_spec_error_is_value_error_and_pickles() -> None:
    """SpecError is a ValueError and survives pickling with all its fields."""
    error = SpecError("m", file="f.yaml", line=2, column=3, yaml_path="a.b", source_line="xyz")
    copy: SpecError = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, ValueError)
    assert (copy.file, copy.line, copy.column, copy.yaml_path, copy.source_line) == ("f.yaml", 2, 3, "a.b", "xyz")
    assert str(copy) == str(error)
