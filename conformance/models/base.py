"""What every model provides, and the record of one generated operation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from hypothesis import strategies as st


@dataclass(frozen=True, slots=True)
class Op:
    """One abstract operation: its binding name and the values its binding may use."""

    name: str
    #: Values for the binding's ``$names`` (e.g. ``{"type": 2, "data": b"a"}``).
    values: tuple[tuple[str, Any], ...]
    #: How the operation reads in a failure message, e.g. ``send(type=2, b'a')``.
    text: str


class Divergence(Exception):
    """The implementation did not do what the model predicts for an operation."""

    def __init__(self, op: Op, expected: str, observed: str) -> None:
        super().__init__(f"{op.text} → expected {expected}, got {observed}")
        self.op, self.expected, self.observed = op, expected, observed


#: Runs one binding in the actor with the model's values: returns the value, or raises
#: :class:`Raised`.
Call = Callable[[str, dict[str, Any]], Any]


class Raised(Exception):
    """The implementation raised; ``error`` is the protocol's error record."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", ""))
        self.error = error

    @property
    def words(self) -> str:
        name = self.error.get("errno") or self.error.get("type")
        return f"an error ({name}: {self.error.get('message', '')[:80]})"


class Model(Protocol):
    """An executable specification of a mechanism's rules.

    A model instance lives for one generated example: ``setup`` makes fresh state (a new
    queue, a new pipe), ``apply`` runs one operation and raises :class:`Divergence` when
    the implementation disagrees with the model, ``teardown`` releases what setup made.
    """

    #: Bindings a spec must provide for this model.
    BINDINGS: tuple[str, ...]
    #: One line naming the rules, for messages (e.g. "System V message queue rules").
    TITLE: str

    @staticmethod
    def operations(max_ops: int) -> st.SearchStrategy[list[Op]]: ...

    def setup(self, call: Call, example: int) -> None: ...

    def apply(self, call: Call, op: Op) -> str | None: ...

    def teardown(self, call: Call) -> None: ...
