"""Load spec files into the frozen model of ``model.py``.

The pipeline for one file:

1. read the bytes and parse the YAML, keeping the node of every path (``_source.py``);
   a syntax error is a :class:`SpecError` for the whole file;
2. validate the file level against the schema (``_validate.py``); an error there is a
   :class:`SpecError` for the whole file;
3. for each case separately: structural problems (duplicate keys, ...), then the case
   schema, then the semantic checks below, then building the model. A case that fails any
   of them becomes a :class:`CaseError` in ``Spec.broken``, and the other cases load.

Semantic checks (what the schema cannot say) that make a case unloadable:

* a step names an actor the case does not declare, or one that does not exist yet
  (a ``spawned_by`` actor before its ``spawn`` step);
* a ``spawn`` step forks an actor that is not ``spawned_by`` the spawning actor, or one
  that was spawned already;
* ``spawned_by`` names an undeclared actor;
* an ``await`` names no earlier label, or awaits a label twice;
* a label is used twice;
* ``blocks: true`` on a call without a ``label`` (nothing could judge its outcome).

A :class:`CaseError` keeps the rendered :class:`SpecError` text as its message and the
offending node's position as its location.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from conformance.spec import _validate
from conformance.spec import vocabulary as vocab
from conformance.spec._source import Source, YamlPath, read_source
from conformance.spec.errors import SpecError
from conformance.spec.model import (
    Actor,
    AwaitStep,
    BarrierStep,
    CallStep,
    Case,
    CaseError,
    ClassSpec,
    Defaults,
    Expect,
    Interface,
    ObserveStep,
    PropertyStep,
    SignalStep,
    Signature,
    SpawnStep,
    Spec,
    Step,
    Variant,
)

StrPath = str | os.PathLike[str]

#: File suffixes taken from a directory by :func:`spec_files`.
SPEC_SUFFIXES = (".yaml", ".yml")


def load_spec(path: StrPath) -> Spec:
    """Load one spec file.

    Args:
        path: The file; it is named in errors exactly as given.

    Returns:
        The spec; cases that could not be loaded are in ``Spec.broken``.

    Raises:
        SpecError: The file as a whole is not a valid spec (YAML syntax, file-level schema).
        OSError: The file cannot be read.
    """
    file = os.fspath(path)
    return parse_spec(Path(file).read_bytes(), file)


def parse_spec(raw: bytes, file: str) -> Spec:
    """Load a spec from its bytes; ``file`` names it in errors and in ``Spec.path``.

    Raises:
        SpecError: The bytes are not a valid spec as a whole (see :func:`load_spec`).
    """
    source = read_source(file, raw)
    _check_file_level(source)
    return _build_spec(source, hashlib.sha256(raw).hexdigest())


def spec_files(paths_or_dirs: Iterable[StrPath]) -> list[Path]:
    """The spec files named: files as given, directories by their ``*.yaml``/``*.yml``.

    Directories are not searched recursively; duplicates are dropped, order is kept.
    """
    found: dict[Path, None] = {}
    for item in paths_or_dirs:
        path = Path(item)
        if path.is_dir():
            children = sorted(p for p in path.iterdir() if p.suffix in SPEC_SUFFIXES)
            found.update(dict.fromkeys(p for p in children if p.is_file()))
        else:
            found[path] = None
    return list(found)


def load_specs(paths_or_dirs: Iterable[StrPath]) -> list[Spec]:
    """Load every spec file named (see :func:`spec_files`), in order.

    Raises:
        SpecError: The first file that is not a valid spec.
    """
    return [load_spec(path) for path in spec_files(paths_or_dirs)]


# --- the file level ---------------------------------------------------------------------------


def _in_case(path: YamlPath) -> bool:
    return len(path) >= 2 and path[0] == "cases" and isinstance(path[1], int)


def _check_file_level(source: Source) -> None:
    for problem in source.problems:
        if not _in_case(problem.path):
            raise source.error(problem.path, problem.message, problem.node)
    _validate.validate(source, _validate.file_validator(), source.data)


def _build_spec(source: Source, digest: str) -> Spec:
    data: dict[str, Any] = source.data
    defaults = _defaults(data.get("defaults", {}))
    cases: list[Case] = []
    broken: list[CaseError] = []
    for index, raw_case in enumerate(data["cases"]):
        try:
            cases.append(_load_case(source, index, raw_case, defaults))
        except SpecError as exc:
            broken.append(_case_error(raw_case, index, exc))
    return Spec(
        name=data["spec"],
        version=data["version"],
        title=data["title"],
        path=source.file,
        references=tuple(data.get("references", ())),
        interface=_interface(data["interface"]),
        defaults=defaults,
        cases=tuple(cases),
        broken=tuple(broken),
        retired=tuple(data.get("retired", ())),
        digest=digest,
    )


def _case_error(raw_case: Any, index: int, exc: SpecError) -> CaseError:
    case_id = raw_case.get("id") if isinstance(raw_case, dict) else None
    if not isinstance(case_id, str) or not case_id:
        case_id = f"cases[{index}]"
    return CaseError(id=case_id, location=exc.location, message=str(exc))


def _defaults(raw: dict[str, Any]) -> Defaults:
    plain = Defaults()
    return Defaults(
        timeout=float(raw.get("timeout", plain.timeout)),
        weight=float(raw.get("weight", plain.weight)),
        visibility=raw.get("visibility", plain.visibility),
    )


def _interface(raw: dict[str, Any]) -> Interface:
    classes = tuple(
        ClassSpec(
            name=c["name"],
            doc=c.get("doc", ""),
            methods=tuple(Signature(**m) for m in c.get("methods", ())),
        )
        for c in raw.get("classes", ())
    )
    return Interface(
        module=raw["module"],
        contract=raw["contract"],
        functions=tuple(Signature(**f) for f in raw.get("functions", ())),
        classes=classes,
    )


# --- one case ---------------------------------------------------------------------------------


def _load_case(source: Source, index: int, raw: Any, defaults: Defaults) -> Case:
    prefix: YamlPath = ("cases", index)
    for problem in source.problems:
        if problem.path[:2] == prefix:
            raise source.error(problem.path, problem.message, problem.node)
    _validate.validate(source, _validate.case_validator(), raw, prefix)
    _CaseChecker(source, prefix, raw).check()
    return _build_case(source, prefix, raw, defaults)


def _build_case(source: Source, prefix: YamlPath, raw: dict[str, Any], defaults: Defaults) -> Case:
    steps = tuple(
        _build_step(source, (*prefix, "steps", j), step) for j, step in enumerate(raw["steps"])
    )
    return Case(
        id=raw["id"],
        title=raw["title"],
        location=source.location(prefix),
        references=tuple(raw.get("references", ())),
        actors=tuple(_actor(name, value) for name, value in raw["actors"].items()),
        steps=steps,
        weight=float(raw.get("weight", defaults.weight)),
        visibility=raw.get("visibility", defaults.visibility),
        timeout=float(raw.get("timeout", defaults.timeout)),
        requires=tuple(raw.get("requires", ())),
        depends_on=tuple(raw.get("depends_on", ())),
        tags=tuple(raw.get("tags", ())),
        hint=raw.get("hint", ""),
        supersedes=tuple(raw.get("supersedes", ())),
        variants=tuple(_variant(v) for v in raw.get("variants", ())),
    )


def _actor(name: str, value: str | dict[str, Any]) -> Actor:
    if isinstance(value, str):
        return Actor(name=name, role=cast(Any, value))
    return Actor(name=name, role=value["role"], spawned_by=value.get("spawned_by"))


def _variant(raw: dict[str, Any]) -> Variant:
    return Variant(name=raw["name"], params=tuple(raw.get("params", {}).items()))


def _expect(raw: dict[str, Any] | None) -> Expect:
    raw = raw or {}
    raises = raw.get("raises")
    if isinstance(raises, str):
        raises = [raises]
    return Expect(
        returns=raw.get("returns"),
        has_returns="returns" in raw,
        raises=frozenset(raises) if raises is not None else None,
        eof=raw.get("eof", False),
        blocks=raw.get("blocks", False),
        exit=raw.get("exit"),
        kernel=raw.get("kernel"),
    )


def _build_step(source: Source, path: YamlPath, raw: dict[str, Any]) -> Step:
    at = source.location(path)
    if "call" in raw:
        return CallStep(
            location=at,
            actor=raw["actor"],
            call=raw["call"],
            args=tuple(raw.get("args", ())),
            kwargs=tuple(raw.get("kwargs", {}).items()),
            save=raw.get("save"),
            label=raw.get("label"),
            expect=_expect(raw.get("expect")),
        )
    if "spawn" in raw:
        return SpawnStep(location=at, actor=raw["actor"], child=raw["spawn"])
    if "await" in raw:
        return AwaitStep(location=at, label=raw["await"], expect=_expect(raw.get("expect")))
    if "observe" in raw:
        return ObserveStep(
            location=at,
            observe=raw["observe"],
            actor=raw.get("actor"),
            target=raw.get("target"),
            expect=_expect(raw.get("expect")),
            cleanup=raw.get("cleanup", False),
        )
    if "property" in raw:
        return PropertyStep(location=at, model=raw["property"], actor=raw["actor"],
                            examples=raw.get("examples", 50), seed=raw.get("seed", 0), max_ops=raw.get("max_ops", 12),
                            bindings=tuple(raw["bindings"].items()))
    if "signal" in raw:
        return SignalStep(location=at, actor=raw["actor"], signal=raw["signal"])
    return BarrierStep(location=at, actors=tuple(raw["barrier"]))


class _CaseChecker:
    """The semantic checks of one schema-valid case (see the module docstring).

    Invariant while walking the steps: ``alive`` holds the actors that exist at the
    current step, ``labels`` the labels defined by earlier calls, ``awaited`` the labels
    an earlier ``await`` consumed.
    """

    def __init__(self, source: Source, prefix: YamlPath, raw: dict[str, Any]) -> None:
        self._source = source
        self._prefix = prefix
        self._raw = raw
        self._parents: dict[str, str | None] = {
            name: (value.get("spawned_by") if isinstance(value, dict) else None)
            for name, value in raw["actors"].items()
        }
        self.alive = {name for name, parent in self._parents.items() if parent is None}
        self.labels: set[str] = set()
        self.awaited: set[str] = set()

    def check(self) -> None:
        self._check_parents()
        for j, step in enumerate(self._raw["steps"]):
            path: YamlPath = (*self._prefix, "steps", j)
            kind = next(k for k in ("call", "spawn", "await", "observe", "barrier", "signal", "property") if k in step)
            getattr(self, f"_{kind}")(path, step)

    def _fail(self, path: YamlPath, message: str) -> SpecError:
        return self._source.error(path, message)

    def _check_parents(self) -> None:
        for name, parent in self._parents.items():
            if parent is not None and parent not in self._parents:
                path: YamlPath = (*self._prefix, "actors", name, "spawned_by")
                raise self._fail(path, f"spawned_by names '{parent}', which is not declared")
            if parent is not None and self._role(name) != self._role(parent):
                path = (*self._prefix, "actors", name)
                raise self._fail(path, f"actor '{name}' is a fork of '{parent}', so it runs '{parent}''s code: "
                                 f"its role must be {self._role(parent)} too")

    def _role(self, name: str) -> str:
        value = self._raw["actors"][name]
        return str(value.get("role") if isinstance(value, dict) else value)

    def _need_actor(self, path: YamlPath, name: str) -> None:
        if name not in self._parents:
            declared = ", ".join(self._parents)
            raise self._fail(path, f"actor '{name}' is not declared (declared: {declared})")
        if name not in self.alive:
            raise self._fail(path, f"actor '{name}' is used before the spawn step that creates it")

    def _call(self, path: YamlPath, step: dict[str, Any]) -> None:
        self._need_actor((*path, "actor"), step["actor"])
        label = step.get("label")
        if label is not None:
            if label in self.labels:
                raise self._fail((*path, "label"), f"label '{label}' is already used by an earlier call")
            self.labels.add(label)
        if step.get("expect", {}).get("blocks") and label is None:
            message = "a call expected to block needs a label, for the await step that judges it"
            raise self._fail((*path, "expect", "blocks"), message)

    def _spawn(self, path: YamlPath, step: dict[str, Any]) -> None:
        parent, child = step["actor"], step["spawn"]
        self._need_actor((*path, "actor"), parent)
        if child not in self._parents:
            raise self._fail((*path, "spawn"), f"actor '{child}' is not declared")
        if self._parents[child] != parent:
            declared = self._parents[child]
            why = f"is spawned_by '{declared}'" if declared else "has no spawned_by (it exists from the start)"
            raise self._fail((*path, "spawn"), f"actor '{child}' {why}, so '{parent}' cannot spawn it")
        if child in self.alive:
            raise self._fail((*path, "spawn"), f"actor '{child}' is already spawned")
        self.alive.add(child)

    def _await(self, path: YamlPath, step: dict[str, Any]) -> None:
        label = step["await"]
        if label not in self.labels:
            raise self._fail((*path, "await"), f"no earlier call is labelled '{label}'")
        if label in self.awaited:
            raise self._fail((*path, "await"), f"label '{label}' is already awaited")
        self.awaited.add(label)

    def _observe(self, path: YamlPath, step: dict[str, Any]) -> None:
        if "actor" in step:
            self._need_actor((*path, "actor"), step["actor"])

    def _property(self, path: YamlPath, step: dict[str, Any]) -> None:
        self._need_actor((*path, "actor"), step["actor"])
        wanted = set(vocab.MODELS[step["property"]])
        given = set(step["bindings"])
        if given != wanted:
            missing, extra = sorted(wanted - given), sorted(given - wanted)
            detail = "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                                 f"unknown {', '.join(extra)}" if extra else "") if part)
            raise self._fail((*path, "bindings"), f"model '{step['property']}' needs bindings "
                             f"{', '.join(sorted(wanted))} ({detail})")

    def _signal(self, path: YamlPath, step: dict[str, Any]) -> None:
        self._need_actor((*path, "actor"), step["actor"])

    def _barrier(self, path: YamlPath, step: dict[str, Any]) -> None:
        for k, name in enumerate(step["barrier"]):
            self._need_actor((*path, "barrier", k), name)
