"""The spec model: what a loaded YAML spec *is*, as frozen values.

The loader (``loader.py``) builds these from YAML after schema validation; the runner and
the grader only ever read them. Every node that a person may need to find again carries a
:class:`Location`, so an error or a failing case points at ``file:line:column``.

Values that flow to actors (arguments) and values that judge replies (matchers) stay plain
JSON-like data (``dict``/``list``/``str``/``int``/...), exactly as written in the spec: the
encoding rules live in ``runner/values.py`` and ``runner/matchers.py``, in one place each.
Plain data is also what makes a case trivially serialisable for reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: The roles an actor can play in a case.
Role = Literal["subject", "reference"]

#: Who may see a case's result (the four values Gradescope honours).
Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]

#: JSON-like data as written in the spec (arguments, matchers, parameters).
Data = Any


@dataclass(frozen=True, kw_only=True, slots=True)
class Location:
    """A place in a spec file; ``line`` and ``column`` are 1-based, as editors count."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Signature:
    """One function or method the interface requires."""

    name: str
    #: The Python signature as text, e.g. ``"write_all(fd: int, data: bytes) -> int"``.
    signature: str
    doc: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class ClassSpec:
    """A class the interface requires, with its methods."""

    name: str
    doc: str = ""
    methods: tuple[Signature, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Interface:
    """What an implementation must provide: one module, its functions and classes."""

    #: The module's file name without ``.py``, loaded from the submission by path.
    module: str
    #: The contract in words, shown to students.
    contract: str
    functions: tuple[Signature, ...] = ()
    classes: tuple[ClassSpec, ...] = ()

    def names(self) -> frozenset[str]:
        """Every top-level name the module must define."""
        return frozenset(f.name for f in self.functions) | frozenset(c.name for c in self.classes)


@dataclass(frozen=True, kw_only=True, slots=True)
class Actor:
    """A process in a case.

    A *subject* runs the implementation under test; a *reference* runs the reference
    implementation as a trusted peer. An actor with ``spawned_by`` does not exist when the
    case starts: a ``spawn`` step forks it from that actor, so it inherits the parent's
    descriptors and objects, as a child does after ``fork()`` in the assignments.
    """

    name: str
    role: Role
    spawned_by: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Expect:
    """What a step must observe. Unset fields are not checked.

    At most one of ``returns``/``raises``/``eof`` applies to a call's outcome; ``blocks``
    says the call must first be seen blocked in the kernel (and its outcome is then judged
    by a later ``await`` step).
    """

    #: Matcher for the returned value (see ``runner/matchers.py``).
    returns: Data = None
    has_returns: bool = False
    #: Acceptable errors: errno names (``EPIPE``) or error kinds (``EOFError``).
    raises: frozenset[str] | None = None
    #: The call returns end-of-file: ``b""`` or ``None``.
    eof: bool = False
    #: The call must block (be seen sleeping in the kernel with no reply).
    blocks: bool = False
    #: Exit expectations for ``observe: exit``: ``{"code": 0}`` or ``{"signal": "SIGPIPE"}``.
    exit: Data = None
    #: Matcher applied to a kernel observation (``observe`` steps).
    kernel: Data = None

    def is_empty(self) -> bool:
        """True when the expectation checks nothing at all."""
        return not (
            self.has_returns
            or self.raises is not None
            or self.eof
            or self.blocks
            or self.exit is not None
            or self.kernel is not None
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class CallStep:
    """An actor calls a function of its module (or a method of an object it holds)."""

    location: Location
    actor: str
    #: ``"name"`` for a module function, ``"$var.method"`` for a method of a saved object,
    #: ``"os:name"`` for one of the runtime's built-in operations.
    call: str
    args: tuple[Data, ...] = ()
    kwargs: tuple[tuple[str, Data], ...] = ()
    #: Save the returned value under this variable name.
    save: str | None = None
    #: Name of this call, for a later ``await`` step (needed with ``blocks``).
    label: str | None = None
    expect: Expect = field(default_factory=Expect)


@dataclass(frozen=True, kw_only=True, slots=True)
class SpawnStep:
    """An actor forks the declared child actor; the child inherits its descriptors."""

    location: Location
    actor: str
    child: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AwaitStep:
    """Wait (with the case deadline) for the outcome of a call that blocked earlier."""

    location: Location
    label: str
    expect: Expect = field(default_factory=Expect)


#: What the runner can observe in the kernel itself.
Observation = Literal["exit", "fds", "pipe", "processes", "blocked", "running", "sysv", "signals"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ObserveStep:
    """The runner observes the kernel (not the actor's word) and judges it.

    * ``exit``: wait for ``actor`` to exit; judge its status with ``expect.exit``.
    * ``fds``: the actor process's descriptor table, summarised (see ``runner/kernel.py``).
    * ``pipe``: which processes hold which end of the pipe ``target`` (an fd in ``actor``).
    * ``processes``: every process in the box: count, zombies, children of ``actor``.
    * ``blocked`` / ``running``: the actor's scheduler state right now.
    * ``sysv``: the box's SysV objects (as its init sees them); ``target``: a key to pick out.
    * ``signals``: the actor's pending, blocked, ignored and caught signal sets.
    """

    location: Location
    observe: Observation
    actor: str | None = None
    target: Data = None
    expect: Expect = field(default_factory=Expect)
    #: This observation checks that the implementation cleaned up after itself: when it
    #: fails, the outcome is a *leak* and the message lists what was left behind.
    cleanup: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class BarrierStep:
    """Wait until every outstanding call of these actors has replied (no timing guess)."""

    location: Location
    actors: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class SignalStep:
    """The runner itself sends a signal to an actor's process (a trusted sender)."""

    location: Location
    actor: str
    signal: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PropertyStep:
    """Generated operation sequences, judged by an executable model (``conformance/models``).

    ``bindings`` maps each of the model's abstract operations to a call of this interface:
    ``{"call": "...", "args": [...], "kwargs": {...}}``, where ``$names`` are the values the
    model supplies (``$key``, ``$data``, ...) and earlier results it keeps (``$queue``).
    """

    location: Location
    model: str
    actor: str
    #: How many sequences hypothesis generates (before shrinking a failure).
    examples: int = 50
    #: Hypothesis seed: the same seed gives the same sequences, so grades are reproducible.
    seed: int = 0
    #: Longest sequence generated.
    max_ops: int = 12
    bindings: tuple[tuple[str, Data], ...] = ()


Step = CallStep | SpawnStep | AwaitStep | ObserveStep | BarrierStep | SignalStep | PropertyStep


@dataclass(frozen=True, kw_only=True, slots=True)
class Variant:
    """One parameter set of a case; its name becomes part of the item ID."""

    name: str
    params: tuple[tuple[str, Data], ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Case:
    """One behaviour, checked in its own box: actors, then steps in order."""

    id: str
    title: str
    location: Location
    references: tuple[str, ...]
    actors: tuple[Actor, ...]
    steps: tuple[Step, ...]
    weight: float = 1.0
    visibility: Visibility = "visible"
    #: Wall-clock budget for the whole case, in seconds (before the global multiplier).
    timeout: float = 5.0
    requires: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    hint: str = ""
    supersedes: tuple[str, ...] = ()
    variants: tuple[Variant, ...] = ()

    def actor(self, name: str) -> Actor:
        """The declared actor called ``name``."""
        for actor in self.actors:
            if actor.name == name:
                return actor
        raise KeyError(name)


@dataclass(frozen=True, kw_only=True, slots=True)
class Defaults:
    """File-level defaults applied to every case that does not set its own."""

    timeout: float = 5.0
    weight: float = 1.0
    visibility: Visibility = "visible"


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseError:
    """A case that could not be loaded; it becomes one failing item, not an aborted run."""

    #: The case ID when it could be read, else ``"cases[N]"``.
    id: str
    location: Location
    message: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Spec:
    """One spec file: a mechanism's interface and the cases that define it."""

    name: str
    version: str
    title: str
    path: str
    references: tuple[str, ...]
    interface: Interface
    defaults: Defaults
    cases: tuple[Case, ...]
    #: Cases that failed to load, each reported as its own failing item.
    broken: tuple[CaseError, ...] = ()
    #: IDs that were used once and must never be used again.
    retired: tuple[str, ...] = ()
    #: SHA-256 of the file's bytes, for result caching and reports.
    digest: str = ""
