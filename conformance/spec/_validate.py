"""Schema validation that ends in one precise :class:`SpecError`.

jsonschema reports every violation; a person fixing a spec wants the one that names the
real mistake, at the node where it is. :func:`validate` picks the deepest error (the most
specific node), prefers a concrete keyword over ``anyOf``/``oneOf`` and over a mere type
mismatch, rewrites jsonschema's message in the words of ``docs/spec-format.md``, and points
at the key itself for key errors (``additional property 'retuns' is not allowed``).
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Callable, Iterable
from typing import Any, cast

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from conformance.spec import schema as spec_schema
from conformance.spec._source import Source, YamlPath
from conformance.spec.errors import SpecError

_WEAK = frozenset({"anyOf", "oneOf"})
_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}
#: Enums longer than this are not spelled out in a message; a close match is offered.
_ENUM_SHOWN = 12


@functools.cache
def file_validator() -> Draft202012Validator:
    """The validator of the file level (cases unchecked), built once."""
    return Draft202012Validator(spec_schema.file_schema())


@functools.cache
def case_validator() -> Draft202012Validator:
    """The validator of one case, built once."""
    return Draft202012Validator(spec_schema.case_schema())


def validate(
    source: Source, validator: Draft202012Validator, instance: Any, prefix: YamlPath = ()
) -> None:
    """Raise the most useful :class:`SpecError` when ``instance`` is invalid.

    Args:
        source: The parsed file, to turn paths into positions.
        validator: The validator to apply.
        instance: The data validated (the document, or one case).
        prefix: Where ``instance`` sits in the document, e.g. ``("cases", 3)``.
    """
    error = choose(validator.iter_errors(instance))
    if error is not None:
        raise to_spec_error(source, error, prefix)


def _rank(error: ValidationError) -> tuple[int, bool, bool, bool]:
    # Deepest first: the most specific node is the most useful place to point at. At one
    # node, a message the schema words itself beats a generic one (a step with two kinds
    # should say so, not complain about the keys of one of them), and anyOf/oneOf and type
    # mismatches come last.
    custom = _custom(error) is not None
    return (
        len(error.absolute_path),
        custom,
        error.validator not in _WEAK,
        error.validator != "type",
    )


def choose(errors: Iterable[ValidationError]) -> ValidationError | None:
    """The error worth showing, or None when there is none."""
    best = max(errors, key=_rank, default=None)
    # Descend into anyOf/oneOf alternatives unless the schema words the failure itself.
    while best is not None and best.context and not _custom(best):
        best = max(best.context, key=_rank)
    return best


def _custom(error: ValidationError) -> str | None:
    schema = error.schema
    message = schema.get("errorMessage") if isinstance(schema, dict) else None
    return str(message) if isinstance(message, str) else None


def _instance(error: ValidationError) -> Any:
    """The value that failed (typed loosely: the stubs allow an ``Unset`` marker)."""
    return cast(Any, error.instance)


def _value(error: ValidationError) -> Any:
    """The schema keyword's value that the instance failed."""
    return cast(Any, error.validator_value)


def _schema(error: ValidationError) -> Any:
    return cast(Any, error.schema)


def to_spec_error(source: Source, error: ValidationError, prefix: YamlPath) -> SpecError:
    """Turn one jsonschema error into a :class:`SpecError` at the right node."""
    path: YamlPath = (*prefix, *error.absolute_path)
    if error.validator == "uniqueItems":
        # Point at the repeated item itself, not at the list.
        path = (*path, _repeated(_instance(error)))
    message, node = _describe(source, error, path)
    return source.error(path, message, node)


def _describe(source: Source, error: ValidationError, path: YamlPath) -> tuple[str, yaml.Node | None]:
    node = _key_node(source, error, path)
    custom = _custom(error)
    if custom is not None:
        shown = f"{_show(_instance(error))}: " if _is_scalar(_instance(error)) else ""
        return shown + custom, node
    if error.validator == "additionalProperties":
        return _additional(source, error, path)
    if error.validator == "uniqueItems":
        return f"{_show(_instance(error)[path[-1]])} is listed twice", None
    describe = _DESCRIBERS.get(str(error.validator))
    return (describe(error) if describe else error.message), node


def _key_node(source: Source, error: ValidationError, path: YamlPath) -> yaml.Node | None:
    """For an error about a mapping key (``propertyNames``), the key's node."""
    if isinstance(source.nodes.get(path), yaml.MappingNode) and isinstance(_instance(error), str):
        return source.keys.get((*path, _instance(error)))
    return None


def _additional(source: Source, error: ValidationError, path: YamlPath) -> tuple[str, yaml.Node | None]:
    allowed = list(_schema(error).get("properties", {}))
    extra = next(k for k in _instance(error) if k not in allowed)
    message = f"additional property '{extra}' is not allowed" + _did_you_mean(extra, allowed)
    return message, source.keys.get((*path, extra))


def _repeated(items: list[Any]) -> int:
    """The index of the first item equal to an earlier one."""
    seen = [json.dumps(item, sort_keys=True) for item in items]
    return next(i for i, item in enumerate(seen) if item in seen[:i])


def _enum(error: ValidationError) -> str:
    options = [str(o) for o in _value(error)]
    if len(options) <= _ENUM_SHOWN:
        return f"{_show(_instance(error))} is not one of: " + ", ".join(options)
    hint = _did_you_mean(str(_instance(error)), options) if _is_scalar(_instance(error)) else ""
    return f"{_show(_instance(error))} is not an allowed value here{hint}"


def _type(error: ValidationError) -> str:
    wanted = _value(error)
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    expected = " or ".join(_TYPE_WORDS.get(n, n) for n in names)
    return f"expected {expected}, got {_kind(_instance(error))}"


def _count(noun: str, bound: str) -> Callable[[ValidationError], str]:
    def describe(error: ValidationError) -> str:
        n = _value(error)
        return f"needs {bound} {n} {noun}{'' if n == 1 else 's'}"

    return describe


def _compare(word: str) -> Callable[[ValidationError], str]:
    return lambda error: f"{_show(_instance(error))} must be {word} {_value(error)}"


_DESCRIBERS: dict[str, Callable[[ValidationError], str]] = {
    "required": lambda e: f"missing required property '{_missing(e)}'",
    "enum": _enum,
    "type": _type,
    "const": lambda e: f"must be {json.dumps(_value(e))}",
    "pattern": lambda e: f"{_show(_instance(e))} does not match {_value(e)}",
    "minItems": _count("item", "at least"),
    "maxItems": _count("item", "at most"),
    "minProperties": _count("entry", "at least"),
    "maxProperties": _count("entry", "at most"),
    "minLength": lambda e: "must not be empty",
    "minimum": _compare(">="),
    "maximum": _compare("<="),
    "exclusiveMinimum": _compare(">"),
    "exclusiveMaximum": _compare("<"),
    "not": lambda e: "this combination is not allowed here",
}


def _missing(error: ValidationError) -> str:
    return str(next(k for k in _value(error) if k not in _instance(error)))


def _did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _show(value: Any) -> str:
    text = f"'{value}'" if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    word = "a string" if isinstance(value, str) else "a number"
    return f"{word} {_show(value)}"
