"""The JSON Schema (draft 2020-12) of the spec format, built from the vocabularies.

The schema is code, not a hand-kept file, so that it cannot drift from ``vocabulary.py``:
``spec.schema.json`` beside this module is generated from :func:`build_schema` and
committed for editors (yaml-language-server reads the ``markdownDescription`` hover text
and the ``errorMessage`` texts). ``tests/spec/test_schema.py`` fails when it is stale.

Usage::

    python -m conformance.spec.schema           # print the schema as JSON
    python -m conformance.spec.schema --write   # regenerate spec.schema.json
    python -m conformance.spec.schema --check   # exit 1 when spec.schema.json is stale

Design choices:

* Every object is closed (``additionalProperties: false``) except the *plain* mappings of
  values and matchers, which match mapping-for-mapping and so cannot know their keys.
* Alternatives dispatch with ``if``/``then`` on a required key or on the instance's type
  instead of ``anyOf``/``oneOf`` where possible: a validator then reports the error of the
  one branch that was meant, at the deepest node, instead of "not valid under any of".
* ``errorMessage`` (a yaml-language-server extension, ignored by validators) sits beside
  the one keyword it explains; the loader shows it in place of the validator's message.
* There is deliberately no key that expresses a duration to wait: waiting is always for an
  event, under the case's ``timeout``.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Sequence
from importlib import resources
from typing import Any

from conformance.spec import vocabulary as vocab

Schema = dict[str, Any]

DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: A case ID: stable, opaque, unique across all specs.
CASE_ID_PATTERN = r"^[A-Z][A-Z0-9]*-[A-Z0-9]+$"
#: A spec's (mechanism's) name.
SPEC_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
#: Semantic versioning 2.0.0 (the official regular expression, without named groups).
SEMVER_PATTERN = (
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)
#: A man-page reference, optionally followed by text: ``man:pipe(7) "Pipe capacity"``.
MAN_REF_PATTERN = r"^man:[a-z0-9_.-]+\([0-9][a-z]*\)(\s.*)?$"
#: Any other sourced reference: ``pydoc:os.pipe``, ``posix:write``, ``ltp:pipe/pipe01.c``.
#: The lookahead keeps a malformed man reference from passing as "some other scheme".
OTHER_REF_PATTERN = r"^(?!man:)[a-z][a-z0-9+.-]*:\S"
#: A behaviour ID of the catalogue. Wider than ``AREA-TOPIC-NN`` because the catalogue
#: also has ``PMQ-01`` and ``SIG-DFL-HUP``; the linter (SL004) checks the catalogue.
BEHAVIOUR_REF_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"
#: A variable reference in a value or matcher: ``$p``, ``$p.1``, ``$msg.body``.
VARIABLE_PATTERN = r"^\$[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$"
#: A Python identifier (saved variables, labels, parameters, interface names).
IDENT_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
#: An actor's name.
ACTOR_PATTERN = r"^[a-z][a-z0-9_]*$"
#: A variant's or tag's name (becomes part of an item ID, so kept plain).
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
#: What a call step may call: ``fn`` (or ``Class``), ``$var.method``, ``os:op``.
CALL_PATTERN = (
    rf"^({_NAME}|\${_NAME}(\.[A-Za-z0-9_]+)*\.{_NAME}|os:({'|'.join(vocab.BUILTIN_OPS)}))$"
)
#: Bytes written as hex digit pairs, spaces allowed anywhere between digits.
HEX_PATTERN = r"^(( *[0-9a-fA-F] *[0-9a-fA-F])* *|\$[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*)$"

STEP_KINDS = ("call", "spawn", "await", "observe", "barrier", "signal", "property")

_SCHEMA_FILE = "spec.schema.json"


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _doc(text: str, schema: Schema) -> Schema:
    """``schema`` with hover help, placed first so the JSON file reads well."""
    return {"markdownDescription": text, **schema}


def _string(pattern: str, message: str, doc: str) -> Schema:
    return _doc(doc, {"type": "string", "pattern": pattern, "errorMessage": message})


def _array(items: Schema, doc: str, *, min_items: int = 0, unique: bool = True) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if min_items:
        schema["minItems"] = min_items
    if unique:
        schema["uniqueItems"] = True
    return _doc(doc, schema)


def _closed(properties: Schema, required: Sequence[str] = (), **extra: Any) -> Schema:
    """An object schema that rejects every key it does not list."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    schema["additionalProperties"] = False
    schema.update(extra)
    return schema


def _one_key_of(keys: Sequence[str]) -> Schema:
    """Matches a mapping that has at least one of ``keys`` (for ``if`` dispatch)."""
    return {"type": "object", "anyOf": [{"required": [k]} for k in keys]}


def _when_key(key: str, then: Schema) -> Schema:
    return {"if": {"required": [key]}, "then": then}


# --- names and small scalars ---------------------------------------------------------------


def _scalar_defs() -> Schema:
    return {
        "case_id": _string(
            CASE_ID_PATTERN,
            "A case ID is capitals and digits, one hyphen: e.g. PIPE-EOF1.",
            "A case ID: stable, opaque and unique across all specs, e.g. `PIPE-EOF1`. "
            "Never reuse an ID; list old ones in `retired`.",
        ),
        "actor_name": _string(
            ACTOR_PATTERN,
            "An actor name is lower case letters, digits and _, e.g. parent.",
            "The name of an actor declared in this case's `actors`.",
        ),
        "identifier": _string(
            IDENT_PATTERN,
            "A name here is a Python identifier: letters, digits and _, e.g. p.",
            "A Python identifier.",
        ),
        "reference": _doc(
            "A source for the behaviour: `man:pipe(7)` (optionally followed by text), "
            "another source such as `pydoc:os.pipe` or `posix:write`, or a behaviour ID "
            "from the catalogue such as `PIPE-EOF-01`.",
            {
                "type": "string",
                "anyOf": [
                    {"pattern": MAN_REF_PATTERN},
                    {"pattern": OTHER_REF_PATTERN},
                    {"pattern": BEHAVIOUR_REF_PATTERN},
                ],
                "errorMessage": "A reference is man:NAME(SECTION) (e.g. man:pipe(7)), "
                "another source as scheme:text (pydoc:os.pipe, posix:write, ltp:...), "
                "or a behaviour ID such as PIPE-EOF-01.",
            },
        ),
        "timeout": _doc(
            "Wall-clock budget for the whole case, in seconds (before the grader's global "
            "multiplier). The linter expects 0.5 to 120.",
            {"type": "number", "exclusiveMinimum": 0},
        ),
        "weight": _doc(
            "Points for the case, relative to the other cases.",
            {"type": "number", "minimum": 0},
        ),
        "visibility": _doc(
            "Who may see the result: `visible`, `hidden`, `after_due_date` or "
            "`after_published`.",
            {"enum": list(vocab.VISIBILITIES)},
        ),
    }


# --- values and matchers -------------------------------------------------------------------


def _variable_check() -> Schema:
    """A string that starts with ``$`` must be a well-formed variable reference."""
    return {
        "if": {"type": "string", "pattern": r"^\$"},
        "then": {
            "pattern": VARIABLE_PATTERN,
            "errorMessage": "A string starting with $ is a variable: $name or $name.index. "
            "For a literal string that starts with $, write {str: ...}.",
        },
    }


def _text() -> Schema:
    """Text for bytes: the runner resolves a ``$var`` here too, so it must be well formed."""
    return {"type": "string", **_variable_check()}


def _bytes_defs() -> Schema:
    return {
        "hex": _doc(
            "Bytes as hex digit pairs; spaces are allowed: `00 ff 10`.",
            {
                "type": "string",
                "pattern": HEX_PATTERN,
                "errorMessage": "hex takes pairs of hex digits (spaces allowed), e.g. '00ff10'.",
            },
        ),
        "gen": _doc(
            "Bytes generated on both sides: SHAKE-256 of `conformance:<seed>`, `size` "
            "bytes. `size` may be a variant parameter (`$size`).",
            _closed(
                {
                    "size": {
                        "markdownDescription": "Number of bytes, or `$param`.",
                        "if": {"type": "string"},
                        "then": {"pattern": VARIABLE_PATTERN},
                        "else": {"type": "integer", "minimum": 0},
                    },
                    "seed": {"markdownDescription": "Seed of the generator (default 0).", "type": "integer"},
                },
                required=("size",),
            ),
        ),
    }


def _value_defs() -> Schema:
    encoded = _closed(
        {
            "str": _doc("A string taken literally (it may start with `$`).", {"type": "string"}),
            "text": _doc("Bytes: this text, UTF-8 encoded (`$var` is a variable).", _text()),
            "hex": _ref("hex"),
            "gen": _ref("gen"),
        },
        allOf=[{"maxProperties": 1, "errorMessage": "An encoded value has exactly one key."}],
    )
    plain = {
        "items": _ref("value"),
        "additionalProperties": _ref("value"),
        **_variable_check(),
    }
    value = _doc(
        "An argument: a JSON literal, `$var` or `$var.index`, `{str: ...}`, "
        "`{text: ...}`, `{hex: ...}`, `{gen: {size, seed}}`, or a list or mapping of values.",
        {
            "if": _one_key_of(vocab.VALUE_KEYS),
            "then": _ref("encoded_value"),
            "else": _ref("plain_value"),
        },
    )
    return {"value": value, "encoded_value": encoded, "plain_value": plain}


def _bound() -> Schema:
    return {
        "if": {"type": "string"},
        "then": {"pattern": VARIABLE_PATTERN, "errorMessage": "A bound is a number or $var."},
        "else": {"type": "number"},
    }


def _length() -> Schema:
    return {
        "if": {"type": "string"},
        "then": {"pattern": VARIABLE_PATTERN, "errorMessage": "A length is a number or $var."},
        "else": {"type": "integer", "minimum": 0},
    }


def _matcher_properties() -> Schema:
    matchers = {"type": "array", "items": _ref("matcher"), "minItems": 1}
    props: Schema = {
        "text": _doc("Exactly these bytes (UTF-8 text; `$var` is a variable).", _text()),
        "hex": _ref("hex"),
        "gen": _ref("gen"),
        "len": _doc("The value has this length (a number or `$var`).", _length()),
        "type": _doc(
            "The value has this type: " + ", ".join(vocab.TYPE_NAMES) + ".",
            {"enum": list(vocab.TYPE_NAMES)},
        ),
        "eq": _doc("Equal to this value.", _ref("value")),
        "ne": _doc("Not equal to this value.", _ref("value")),
    }
    for key, word in zip(vocab.BOUND_KEYS, (">=", ">", "<=", "<"), strict=True):
        props[key] = _doc(f"A number {word} this bound; bounds combine.", _bound())
    props.update(
        one_of=_doc("Any of these matchers passes.", matchers),
        all_of=_doc("All of these matchers pass.", matchers),
        items=_doc("A list matched item-for-item.", {"type": "array", "items": _ref("matcher")}),
        contains=_doc("Some item of the list matches.", _ref("matcher")),
        any=_doc("Anything passes.", {"const": True}),
    )
    return props


def _matcher_defs() -> Schema:
    mapping = _closed(
        _matcher_properties(),
        allOf=[
            {
                "anyOf": [{"maxProperties": 1}, {"propertyNames": {"enum": list(vocab.BOUND_KEYS)}}],
                "errorMessage": "Only ge, gt, le and lt may share one matcher mapping; "
                "combine other matchers with all_of.",
            }
        ],
    )
    plain = {
        "items": _ref("matcher"),
        "additionalProperties": _ref("matcher"),
        **_variable_check(),
    }
    matcher = _doc(
        "A literal must be equal; a list matches item-for-item; a mapping with a matcher "
        "key (`len`, `type`, `eq`, `ge`, `one_of`, `contains`, `any`, ...) is a matcher; "
        "any other mapping matches mapping-for-mapping.",
        {"if": _one_key_of(vocab.MATCHER_KEYS), "then": _ref("matcher_mapping"), "else": _ref("plain_matcher")},
    )
    return {"matcher": matcher, "matcher_mapping": mapping, "plain_matcher": plain}


# --- expectations ----------------------------------------------------------------------------


def _error_name() -> Schema:
    return {"enum": [*vocab.ERRNO_NAMES, *vocab.ERROR_KINDS]}


def _exit_schema() -> Schema:
    return _doc(
        "For `observe: exit`: `{code: 0}` for a normal exit, `{signal: SIGPIPE}` for death "
        "by a signal.",
        _closed(
            {
                "code": _doc("The exit status.", {"type": "integer", "minimum": 0, "maximum": 255}),
                "signal": _doc("The fatal signal.", {"enum": list(vocab.SIGNAL_NAMES)}),
            },
            allOf=[
                {
                    "minProperties": 1,
                    "maxProperties": 1,
                    "errorMessage": "exit takes exactly one of code or signal.",
                }
            ],
        ),
    )


def _expect_def() -> Schema:
    raises = _doc(
        "The acceptable errors: one errno name (`EPIPE`) or error kind (`EOFError`), or a "
        "list of them (`[EAGAIN, EWOULDBLOCK]`).",
        {
            "if": {"type": "array"},
            "then": {"items": _error_name(), "minItems": 1, "uniqueItems": True},
            "else": _error_name(),
        },
    )
    exclusive = [{"required": pair} for pair in (["returns", "raises"], ["returns", "eof"], ["raises", "eof"])]
    return _closed(
        {
            "returns": _doc("Matcher for the returned value.", _ref("matcher")),
            "raises": raises,
            "eof": _doc("The call returns end-of-file: `b\"\"` or `None`.", {"type": "boolean"}),
            "blocks": _doc(
                "The call must be seen blocked in the kernel with no reply; a later "
                "`await` step judges its outcome. Needs a `label`.",
                {"type": "boolean"},
            ),
            "exit": _exit_schema(),
            "kernel": _doc("Matcher for the kernel observation.", _ref("matcher")),
        },
        allOf=[
            {
                "not": {"anyOf": exclusive},
                "errorMessage": "returns, raises and eof exclude each other: give at most one.",
            }
        ],
    )


_EXPECT_KEYS = ("returns", "raises", "eof", "blocks", "exit", "kernel")


def _expect_for(step: str, keys: Sequence[str]) -> Schema:
    """The shared ``expect`` without the keys that make no sense for one step kind.

    Only known keys are refused here; an unknown key is left to the shared definition,
    whose ``additionalProperties`` names it (and suggests the key that was meant).
    """
    refused = [k for k in _EXPECT_KEYS if k not in keys]
    message = f"An expectation of {step} takes only " + ", ".join(keys) + "."
    return _doc(
        "What the step must observe. Unset fields are not checked.",
        {"$ref": "#/$defs/expect", "propertyNames": {"not": {"enum": refused}, "errorMessage": message}},
    )


# --- steps -----------------------------------------------------------------------------------


def _call_step() -> Schema:
    return _closed(
        {
            "actor": _doc("The actor that makes the call.", _ref("actor_name")),
            "call": _doc(
                "`fn` (a function or class of the module), `$var.method` (a method of a saved "
                "object) or `os:op`, one of: " + ", ".join(vocab.BUILTIN_OPS) + ".",
                {
                    "type": "string",
                    "pattern": CALL_PATTERN,
                    "errorMessage": "call takes fn, $var.method or os:OP with OP one of "
                    + ", ".join(vocab.BUILTIN_OPS)
                    + ".",
                },
            ),
            "args": _doc(
                "Positional arguments (values).",
                {"type": "array", "items": _ref("value")},
            ),
            "kwargs": _doc(
                "Keyword arguments (values).",
                {
                    "type": "object",
                    "propertyNames": _ref("identifier"),
                    "additionalProperties": _ref("value"),
                },
            ),
            "save": _doc("Keep the result as this variable (`$name` later).", _ref("identifier")),
            "label": _doc("Name this call for a later `await` step.", _ref("identifier")),
            "expect": _expect_for("a call", ("returns", "raises", "eof", "blocks")),
        },
        required=("actor", "call"),
    )


def _spawn_step() -> Schema:
    return _closed(
        {
            "actor": _doc("The parent that forks.", _ref("actor_name")),
            "spawn": _doc(
                "The child actor to fork (declared with `spawned_by` naming `actor`).",
                _ref("actor_name"),
            ),
        },
        required=("actor", "spawn"),
    )


def _await_step() -> Schema:
    return _closed(
        {
            "await": _doc(
                "The label of an earlier call that was seen blocked; wait (under the case "
                "deadline) for its outcome.",
                _ref("identifier"),
            ),
            "expect": _expect_for("await", ("returns", "raises", "eof")),
        },
        required=("await",),
    )


def _observe_step() -> Schema:
    target_only_for_pipe = {
        "if": {"properties": {"observe": {"const": "pipe"}}},
        "then": {"required": ["actor", "target"]},
        "else": {
            "if": {"properties": {"observe": {"const": "sysv"}}},
            "else": {
                "not": {"required": ["target"]},
                "errorMessage": "target applies only to observe: pipe and observe: sysv.",
            },
        },
    }
    actor_unless_processes = {
        "if": {"properties": {"observe": {"enum": ["processes", "sysv"]}}},
        "else": {"required": ["actor"]},
    }
    return _closed(
        {
            "observe": _doc(
                "What the runner looks at in the kernel: " + ", ".join(vocab.OBSERVATIONS) + ".",
                {"enum": list(vocab.OBSERVATIONS)},
            ),
            "actor": _doc("The actor observed.", _ref("actor_name")),
            "target": _doc("For `pipe`: an fd number in `actor`; for `sysv`: a key (a value).", _ref("value")),
            "expect": _expect_for("observe", ("exit", "kernel")),
            "cleanup": _doc(
                "This observation checks that the implementation cleaned up after itself: a failure is "
                "reported as a leak, listing what was left behind and who created it.",
                {"type": "boolean"},
            ),
        },
        required=("observe",),
        allOf=[target_only_for_pipe, actor_unless_processes],
    )


def _barrier_step() -> Schema:
    return _closed(
        {
            "barrier": _array(
                _ref("actor_name"),
                "Wait until every outstanding call of these actors has replied.",
                min_items=1,
            ),
        },
        required=("barrier",),
    )


def _signal_step() -> Schema:
    return _closed(
        {
            "signal": _doc(
                "The signal the runner sends (from outside the box's processes).",
                {"enum": list(vocab.SIGNAL_NAMES)},
            ),
            "actor": _doc("The actor whose process receives it.", _ref("actor_name")),
        },
        required=("signal", "actor"),
    )


def _binding() -> Schema:
    return _closed(
        {
            "call": _doc("What the abstract operation calls (as in a call step).", {"type": "string", "pattern": CALL_PATTERN}),
            "args": _doc("Positional arguments; `$name` takes the model's value.", {"type": "array", "items": _ref("value")}),
            "kwargs": _doc("Keyword arguments.", {"type": "object", "additionalProperties": _ref("value")}),
        },
        required=("call",),
    )


def _property_step() -> Schema:
    return _closed(
        {
            "property": _doc(
                "The executable model whose rules generated sequences are judged by: "
                + ", ".join(vocab.MODELS) + ".",
                {"enum": list(vocab.MODELS)},
            ),
            "actor": _doc("The actor whose implementation runs the sequences.", _ref("actor_name")),
            "examples": _doc("Sequences generated (fixed, so grading is reproducible).",
                             {"type": "integer", "minimum": 1, "maximum": 500}),
            "seed": _doc("Hypothesis seed: same seed, same sequences.", {"type": "integer", "minimum": 0}),
            "max_ops": _doc("Longest sequence generated.", {"type": "integer", "minimum": 1, "maximum": 100}),
            "bindings": _doc(
                "How each abstract operation of the model calls this interface.",
                {"type": "object", "additionalProperties": _binding(), "minProperties": 1},
            ),
        },
        required=("property", "actor", "bindings"),
    )


def _step_def() -> Schema:
    kinds = {
        "property": "property_step",
        "signal": "signal_step",
        "call": "call_step",
        "spawn": "spawn_step",
        "await": "await_step",
        "observe": "observe_step",
        "barrier": "barrier_step",
    }
    exactly_one = {
        "oneOf": [{"required": [k]} for k in STEP_KINDS],
        "errorMessage": "A step has exactly one of the keys " + ", ".join(STEP_KINDS) + ".",
    }
    return _doc(
        "One step: exactly one of `call`, `spawn`, `await`, `observe`, `barrier`, `signal`, `property`. There is "
        "no step that waits for a duration.",
        {
            "type": "object",
            "allOf": [exactly_one, *(_when_key(k, _ref(d)) for k, d in kinds.items())],
        },
    )


# --- cases -----------------------------------------------------------------------------------


def _actor_def() -> Schema:
    long_form = _closed(
        {
            "role": _doc(
                "`subject` runs the implementation under test; `reference` runs the trusted "
                "reference implementation.",
                {"enum": list(vocab.ROLES)},
            ),
            "spawned_by": _doc(
                "The actor that forks this one in a `spawn` step; without it the actor "
                "exists when the case starts.",
                _ref("actor_name"),
            ),
        },
        required=("role",),
    )
    return _doc(
        "An actor: its role (`subject` or `reference`) or `{role, spawned_by}`.",
        {"if": {"type": "string"}, "then": {"enum": list(vocab.ROLES)}, "else": long_form},
    )


def _variant_def() -> Schema:
    return _closed(
        {
            "name": _string(
                SLUG_PATTERN,
                "A variant name is lower case letters, digits, _ and -, e.g. big.",
                "The variant's name; it becomes part of the item ID.",
            ),
            "params": _doc(
                "Parameters, used as `$name` in values and matchers.",
                {
                    "type": "object",
                    "propertyNames": _ref("identifier"),
                    "additionalProperties": _ref("value"),
                },
            ),
        },
        required=("name",),
    )


def _case_properties() -> Schema:
    return {
        "id": _ref("case_id"),
        "title": _doc("What the case checks, in one sentence.", {"type": "string", "minLength": 1}),
        "references": _array(
            _ref("reference"),
            "Man pages and behaviour IDs this case checks (at least one; see the linter).",
        ),
        "weight": _ref("weight"),
        "visibility": _ref("visibility"),
        "timeout": _ref("timeout"),
        "requires": _array(
            {"enum": list(vocab.CAPABILITIES)},
            "Capabilities probed at run time; the case is skipped when one is missing.",
        ),
        "depends_on": _array(_ref("case_id"), "Skip (not fail) this case when one of these fails."),
        "tags": _array(
            _string(SLUG_PATTERN, "A tag is lower case letters, digits, _ and -.", "A tag."),
            "Free tags for selecting cases.",
        ),
        "hint": _doc("Shown to students when the case fails.", {"type": "string"}),
        "supersedes": _array(_ref("case_id"), "IDs of older cases this case replaces."),
        "actors": _doc(
            "The processes of the case, by name: `parent: subject` or "
            "`child: {role: subject, spawned_by: parent}`.",
            {
                "type": "object",
                "propertyNames": _ref("actor_name"),
                "additionalProperties": _ref("actor"),
                "minProperties": 1,
            },
        ),
        "variants": _array(
            _ref("variant"), "One item per parameter set.", min_items=1, unique=False
        ),
        "steps": _array(_ref("step"), "The steps, in order.", min_items=1, unique=False),
    }


def _case_def() -> Schema:
    return _doc(
        "One behaviour, checked in its own box: actors, then steps in order.",
        _closed(_case_properties(), required=("id", "title", "actors", "steps")),
    )


# --- the file --------------------------------------------------------------------------------


def _signature_def() -> Schema:
    return _closed(
        {
            "name": _ref("identifier"),
            "signature": _doc(
                "The Python signature, e.g. `make_pipe() -> tuple[int, int]`.",
                {"type": "string", "minLength": 1},
            ),
            "doc": _doc("What it does, for students.", {"type": "string"}),
        },
        required=("name", "signature"),
    )


def _interface_def() -> Schema:
    klass = _closed(
        {
            "name": _ref("identifier"),
            "doc": _doc("What the class is for.", {"type": "string"}),
            "methods": _array(_ref("signature"), "The methods the class must have.", unique=False),
        },
        required=("name",),
    )
    return _doc(
        "What an implementation must provide: one module, its functions and classes.",
        _closed(
            {
                "module": _string(
                    r"^[a-z_][a-z0-9_]*$",
                    "A module name is lower case letters, digits and _, e.g. ipc_pipe.",
                    "The file students write, without `.py`.",
                ),
                "contract": _doc("The contract in words (Markdown).", {"type": "string"}),
                "functions": _array(_ref("signature"), "Module-level functions.", unique=False),
                "classes": _array(klass, "Classes.", unique=False),
            },
            required=("module", "contract"),
        ),
    )


def _file_properties() -> Schema:
    return {
        "spec": _string(
            SPEC_NAME_PATTERN,
            "A spec name is lower case letters, digits and _, e.g. pipe.",
            "The mechanism's name.",
        ),
        "version": _string(
            SEMVER_PATTERN,
            "version is semver, e.g. 1.0.0 (YAML reads 1.0 as a number).",
            "Semantic version of the spec as a whole.",
        ),
        "title": _doc("The mechanism, for people.", {"type": "string", "minLength": 1}),
        "references": _array(_ref("reference"), "Sources for the whole mechanism."),
        "retired": _array(_ref("case_id"), "IDs used once and never to be used again."),
        "interface": _ref("interface"),
        "defaults": _doc(
            "Defaults applied to every case that does not set its own.",
            _closed(
                {"timeout": _ref("timeout"), "weight": _ref("weight"), "visibility": _ref("visibility")}
            ),
        ),
        "cases": _array(_ref("case"), "The cases.", min_items=1, unique=False),
    }


def _defs() -> Schema:
    return {
        **_scalar_defs(),
        **_bytes_defs(),
        **_value_defs(),
        **_matcher_defs(),
        "expect": _doc("What a step must observe. Unset fields are not checked.", _expect_def()),
        "step": _step_def(),
        "call_step": _call_step(),
        "spawn_step": _spawn_step(),
        "await_step": _await_step(),
        "observe_step": _observe_step(),
        "barrier_step": _barrier_step(),
        "signal_step": _signal_step(),
        "property_step": _property_step(),
        "actor": _actor_def(),
        "variant": _variant_def(),
        "case": _case_def(),
        "signature": _signature_def(),
        "interface": _interface_def(),
    }


@functools.cache
def _cached_schema() -> str:
    # Cached as text so that callers each get a fresh, freely mutable copy.
    schema = {
        "$schema": DIALECT,
        "title": "IPC conformance spec",
        "markdownDescription": "One mechanism's interface and the cases that define it "
        "(see docs/spec-format.md).",
        **_closed(
            _file_properties(), required=("spec", "version", "title", "interface", "cases")
        ),
        "$defs": _defs(),
    }
    return render(schema)


def build_schema() -> Schema:
    """The whole schema, as a fresh dict."""
    loaded: Schema = json.loads(_cached_schema())
    return loaded


def file_schema() -> Schema:
    """The schema of the file level alone: ``cases`` must be a list, items unchecked.

    The loader validates each case on its own (:func:`case_schema`), so that one bad case
    does not hide the others.
    """
    schema = build_schema()
    schema["properties"]["cases"] = {"type": "array", "minItems": 1}
    return schema


def case_schema() -> Schema:
    """The schema of one case, with every definition it refers to."""
    full = build_schema()
    return {"$schema": DIALECT, "$defs": full["$defs"], "$ref": "#/$defs/case"}


def render(schema: Schema) -> str:
    """The schema as the JSON text that ``spec.schema.json`` holds."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def schema_text() -> str:
    """The generated schema's JSON text."""
    return _cached_schema()


def committed_text() -> str:
    """The text of the committed ``spec.schema.json`` ("" when it is missing)."""
    path = resources.files(__package__).joinpath(_SCHEMA_FILE)
    return path.read_text("utf-8") if path.is_file() else ""


def main(argv: Sequence[str] | None = None) -> int:
    """Print, write or check the schema; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m conformance.spec.schema")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 when spec.schema.json is stale")
    mode.add_argument("--write", action="store_true", help="regenerate spec.schema.json")
    args = parser.parse_args(argv)
    if args.check:
        return _check()
    if args.write:
        _write()
        return 0
    sys.stdout.write(schema_text())
    return 0


def _check() -> int:
    if committed_text() == schema_text():
        return 0
    sys.stderr.write(
        f"{_SCHEMA_FILE} is stale: run `python -m conformance.spec.schema --write`\n"
    )
    return 1


def _write() -> None:
    target = resources.files(__package__).joinpath(_SCHEMA_FILE)
    with resources.as_file(target) as path:
        path.write_text(schema_text(), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
