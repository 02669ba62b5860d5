"""The one exception of the spec package: :class:`SpecError`.

A spec error always names the place to fix: ``file:line:column``, the YAML path of the
node, and the offending line with a caret under the column, exactly as the "Errors"
section of ``docs/spec-format.md`` shows.
"""

from __future__ import annotations

from typing import Any

from conformance.spec.model import Location

#: Width of the line-number gutter in the rendered snippet (``"    41 | "``).
_GUTTER = 6
#: Longer source lines are shown as a window of this many characters around the column.
_WINDOW = 100


class SpecError(ValueError):
    """A spec file, or one case in it, does not follow the spec format.

    Attributes:
        file: The spec file, as the caller named it.
        line: 1-based line of the offending node.
        column: 1-based column of the offending node.
        yaml_path: Where the node sits, e.g. ``cases[3].steps[0].expect`` (``""`` for the
            document itself).
        source_line: The text of line ``line``, without its line break.
        message: What is wrong, and the fix where there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int,
        column: int,
        yaml_path: str = "",
        source_line: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.yaml_path = yaml_path
        self.source_line = source_line

    @property
    def location(self) -> Location:
        """Where the error is, as a model :class:`Location`."""
        return Location(file=self.file, line=self.line, column=self.column)

    def detail(self) -> str:
        """The message with its YAML path and the quoted line, without the location."""
        head = f"{self.yaml_path}: {self.message}" if self.yaml_path else self.message
        return "\n".join([head, *self._snippet()])

    def _snippet(self) -> list[str]:
        text, column = _window(self.source_line, self.column)
        # Keep tabs from the line's prefix so the caret lines up in any terminal.
        pad = "".join(c if c == "\t" else " " for c in text[: column - 1])
        return [
            f"{self.line:>{_GUTTER}} | {text}".rstrip(),
            f"{'':>{_GUTTER}} | {pad}^",
        ]

    def __str__(self) -> str:
        return f"{self.location}: {self.detail()}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only fields do not survive the default exception pickling, and errors
        # cross process boundaries (xdist workers) as pickles.
        fields = {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "yaml_path": self.yaml_path,
            "source_line": self.source_line,
        }
        return (_rebuild, (self.message, fields))


def _window(line: str, column: int) -> tuple[str, int]:
    """A long line cut to about :data:`_WINDOW` characters around ``column``."""
    if len(line) <= _WINDOW:
        return line, column
    start = max(0, min(column - 1 - _WINDOW // 2, len(line) - _WINDOW))
    text = line[start : start + _WINDOW]
    prefix = "..." if start else ""
    suffix = "..." if start + _WINDOW < len(line) else ""
    return prefix + text + suffix, column - start + len(prefix)


def _rebuild(message: str, fields: dict[str, Any]) -> SpecError:
    """Unpickle a :class:`SpecError` (see ``SpecError.__reduce__``)."""
    return SpecError(message, **fields)
