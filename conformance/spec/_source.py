"""A spec file's YAML as plain data, with the node (and so the line) of every path.

PyYAML's ``compose`` keeps a start mark on every node; constructing Python objects throws
those marks away. :func:`read_source` therefore composes the document and converts the
node tree itself, recording for every YAML path (``("cases", 3, "steps", 0)``) the value
node and, for mapping entries, the key node. Every later error, from the schema or from a
semantic check, turns a path back into ``file:line:column`` through :class:`Source`.

The conversion is strict where PyYAML is lenient: duplicate keys, non-string keys, merge
keys, custom tags and non-JSON scalars (dates, binary) are recorded as :class:`Problem`
values rather than silently accepted, so the loader can blame one case instead of the
whole file when the problem sits inside a case.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from conformance.spec.errors import SpecError
from conformance.spec.model import Location

#: A path into the document: mapping keys and sequence indices.
YamlPath = tuple[str | int, ...]

#: Deeper nesting than this is refused: no spec needs it, and it bounds every recursion
#: that follows (conversion, schema validation).
MAX_DEPTH = 48
#: More nodes than this (aliases included) is refused: it stops "billion laughs" documents.
MAX_NODES = 200_000

# The line breaks YAML itself counts (str.splitlines also splits on \v, \f and others,
# which would shift every line number after them).
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_JSON_SCALARS = (str, int, float, bool, type(None))


def format_path(path: YamlPath) -> str:
    """``("cases", 3, "expect")`` as ``cases[3].expect``; odd keys are quoted."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def split_lines(text: str) -> list[str]:
    """The file's lines as YAML counts them; no empty last line after a final break."""
    lines = _LINE_BREAK.split(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the YAML says that the spec format cannot hold (a duplicate key, ...)."""

    path: YamlPath
    node: yaml.Node
    message: str


@dataclass(slots=True)
class Source:
    """One parsed spec file: its text, its data, and the node behind every path."""

    file: str
    lines: list[str]
    data: Any = None
    #: The value node at each path.
    nodes: dict[YamlPath, yaml.Node] = field(default_factory=dict)
    #: The key node of each mapping entry, by the entry's path.
    keys: dict[YamlPath, yaml.Node] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def position(self, line0: int, column0: int) -> tuple[int, int]:
        """A 0-based mark as a 1-based (line, column) clamped inside the file."""
        if not self.lines or self.lines == [""]:
            return 1, 1
        if line0 >= len(self.lines):
            # A mark at the end of the stream: point just after the last character.
            line0 = len(self.lines) - 1
            column0 = len(self.lines[line0])
        line0 = max(line0, 0)
        column0 = min(max(column0, 0), len(self.lines[line0]))
        return line0 + 1, column0 + 1

    def error_at(self, line0: int, column0: int, message: str, path: YamlPath = ()) -> SpecError:
        """A :class:`SpecError` at a 0-based mark."""
        line, column = self.position(line0, column0)
        source_line = self.lines[line - 1] if self.lines else ""
        return SpecError(
            message,
            file=self.file,
            line=line,
            column=column,
            yaml_path=format_path(path),
            source_line=source_line,
        )

    def node_for(self, path: YamlPath) -> yaml.Node | None:
        """The node at ``path``, or at its nearest ancestor that exists."""
        for cut in range(len(path), -1, -1):
            node = self.nodes.get(path[:cut])
            if node is not None:
                return node
        return None

    def location(self, path: YamlPath) -> Location:
        """Where the node at ``path`` (or its nearest ancestor) starts."""
        node = self.node_for(path)
        mark = node.start_mark if node is not None else None
        line, column = self.position(mark.line, mark.column) if mark else (1, 1)
        return Location(file=self.file, line=line, column=column)

    def error(self, path: YamlPath, message: str, node: yaml.Node | None = None) -> SpecError:
        """A :class:`SpecError` at ``node`` (default: the node at ``path``)."""
        node = node if node is not None else self.node_for(path)
        if node is None:
            return self.error_at(0, 0, message, path)
        mark = node.start_mark
        return self.error_at(mark.line, mark.column, message, path)


def read_source(file: str, raw: bytes) -> Source:
    """Parse ``raw`` (the bytes of ``file``) into a :class:`Source`.

    Raises:
        SpecError: The bytes are not UTF-8, the YAML does not parse, the document is
            empty, or it nests or aliases beyond reason.
    """
    # A byte-order mark is invisible in the quoted line; dropping it keeps the caret true.
    text = _decode(file, raw).removeprefix("\ufeff")
    source = Source(file=file, lines=split_lines(text))
    root = _compose(source, text)
    if root is None:
        raise source.error_at(0, 0, "the file is empty: a spec is a mapping with spec, "
                              "version, title, interface and cases")
    source.data = _Converter(source).convert(root, ())
    return source


def _decode(file: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", errors="replace")
        lines = split_lines(before) or [""]
        source = Source(file=file, lines=split_lines(raw.decode("utf-8", errors="replace")))
        message = f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x})"
        raise source.error_at(len(lines) - 1, len(lines[-1]), message) from None


def _compose(source: Source, text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = _yaml_message(exc)
        if mark is None:
            raise source.error_at(0, 0, message) from None
        raise source.error_at(mark.line, mark.column, message) from None
    except yaml.reader.ReaderError as exc:
        line0, column0 = _offset_to_mark(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        message = f"character U+{code:04X} is not allowed in YAML"
        raise source.error_at(line0, column0, message) from None
    except yaml.YAMLError as exc:
        raise source.error_at(0, 0, f"YAML error: {exc}") from None
    except RecursionError:
        raise source.error_at(0, 0, "the YAML nests too deeply") from None


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "YAML syntax: " + (", ".join(parts) if parts else "cannot parse")


def _offset_to_mark(text: str, offset: int) -> tuple[int, int]:
    before = split_lines(text[:offset] + "x")  # the sentinel keeps a trailing empty line
    return len(before) - 1, len(before[-1]) - 1


class _Converter:
    """Turns a composed node tree into JSON-like data, recording nodes and problems."""

    def __init__(self, source: Source) -> None:
        self._source = source
        self._constructor = SafeConstructor()
        self._count = 0
        self._active: set[int] = set()

    def convert(self, node: yaml.Node, path: YamlPath) -> Any:
        self._count += 1
        if self._count > MAX_NODES:
            raise self._source.error(path, f"the document has more than {MAX_NODES} nodes", node)
        if len(path) > MAX_DEPTH:
            # Recorded, not raised: when it is inside a case, only that case is broken.
            self._problem(path, node, f"the YAML nests deeper than {MAX_DEPTH} levels")
            return None
        self._source.nodes.setdefault(path, node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._active:
            self._problem(path, node, "an alias refers to a node that contains it")
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return self._sequence(node, path)
            return self._mapping(node, path)
        finally:
            self._active.discard(id(node))

    def _problem(self, path: YamlPath, node: yaml.Node, message: str) -> None:
        """Record a problem; the caller then stands in ``None`` for the value."""
        self._source.problems.append(Problem(path, node, message))

    def _scalar(self, node: yaml.ScalarNode, path: YamlPath) -> Any:
        try:
            value = self._constructor.construct_object(node)
        except yaml.YAMLError:
            self._problem(path, node, f"the YAML tag {node.tag} is not supported here")
            return None
        if not isinstance(value, _JSON_SCALARS):
            tag = node.tag.rsplit(":", 1)[-1]
            message = f"a YAML {tag} is not allowed here; quote it to make it a string"
            self._problem(path, node, message)
            return None
        return value

    def _sequence(self, node: yaml.SequenceNode, path: YamlPath) -> Any:
        if node.tag != _SEQ_TAG:
            self._problem(path, node, f"the YAML tag {node.tag} is not supported here")
            return None
        return [self.convert(child, (*path, i)) for i, child in enumerate(node.value)]

    def _mapping(self, node: yaml.Node, path: YamlPath) -> Any:
        if node.tag != _MAP_TAG:
            self._problem(path, node, f"the YAML tag {node.tag} is not supported here")
            return None
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path, out)
            if key is not None:
                self._source.keys[(*path, key)] = key_node
                out[key] = self.convert(value_node, (*path, key))
        return out

    def _key(self, node: yaml.Node, path: YamlPath, seen: dict[str, Any]) -> str | None:
        """The key's text, or None (and a recorded problem) when it cannot be one."""
        if node.tag == _MERGE_TAG:
            self._problem(path, node, "merge keys (<<) are not supported: write the keys out")
            return None
        key = self._scalar(node, path) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            message = "a mapping key must be a string"
            if isinstance(node, yaml.ScalarNode):
                message += f": write '{node.value}' in quotes"
            self._problem(path, node, message)
            return None
        if key in seen:
            first = self._source.keys[(*path, key)].start_mark.line + 1
            self._problem((*path, key), node, f"duplicate key '{key}' (first on line {first})")
            return None
        return key
