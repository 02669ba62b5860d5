"""Lint loaded specs: what the schema cannot see, across cases and across files.

Usage::

    python -m conformance.spec.linter [--strict] [--coverage] [PATH ...]

PATH is a spec file or a directory of them (default: ``specs``). Each finding prints as
``file:line:col: RULE message``. The exit status is 1 when there is an error (or, with
``--strict``, a warning), 2 when a path cannot be read, else 0. ``--coverage`` adds, per
section of the behaviour catalogue, how many behaviour IDs some case references.

Rules (stable IDs; ``docs/spec-lint.md`` explains each with an example):

* SL001 error: a case ID is used twice (across all the specs given).
* SL002 error: a case has no references.
* SL003 error: a case checks nothing: no step has an expectation.
* SL004 error: a reference looks like a behaviour ID but is not in the catalogue.
* SL005 error: an active case uses an ID that is retired (any spec's ``retired``) or
  superseded (any case's ``supersedes``): such IDs must never be active again.
* SL006 error: ``depends_on`` names an unknown case, or dependencies form a cycle.
* SL007 warning: the verdict rests on the subject's word alone: no ``reference`` actor and
  no ``observe`` step.
* SL008 error: a ``$variable`` is used before a step saves it (and it is not a parameter of
  every variant). A blocking call's ``save`` counts from its ``await`` on.
* SL009 error: a call to something sleep-like (its name contains ``sleep``). ``os:sleep``
  and ``time:sleep`` are already schema errors (SL013).
* SL010 error: the case timeout is outside [0.5, 120] seconds.
* SL011 warning: two cases of one file have the same title.
* SL012 error: a call names a module function the interface does not declare
  (``$var.method`` and ``os:`` calls are exempt).
* SL013 error: a spec file or a case cannot be loaded; the message is the loader's.
* SL014 error: two variants of a case have the same name.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from conformance.spec import vocabulary as vocab
from conformance.spec.errors import SpecError
from conformance.spec.loader import load_spec, spec_files
from conformance.spec.model import (
    AwaitStep,
    CallStep,
    Case,
    Location,
    ObserveStep,
    PropertyStep,
    Spec,
    Step,
)
from conformance.spec.schema import BEHAVIOUR_REF_PATTERN

Severity = Literal["error", "warning"]

#: Every rule: its severity and a one-line summary (the module docstring has the detail).
RULES: Mapping[str, tuple[Severity, str]] = {
    "SL001": ("error", "duplicate case ID"),
    "SL002": ("error", "case has no references"),
    "SL003": ("error", "case has no expectation"),
    "SL004": ("error", "unknown behaviour ID"),
    "SL005": ("error", "retired or superseded ID is active"),
    "SL006": ("error", "unknown or cyclic depends_on"),
    "SL007": ("warning", "verdict relies on self-report alone"),
    "SL008": ("error", "variable used before it is saved"),
    "SL009": ("error", "sleep-like call"),
    "SL010": ("error", "timeout outside [0.5, 120] s"),
    "SL011": ("warning", "duplicate title within a file"),
    "SL012": ("error", "call not declared by the interface"),
    "SL013": ("error", "spec or case cannot be loaded"),
    "SL014": ("error", "duplicate variant name"),
}

#: The range of case timeouts that make sense, in seconds.
TIMEOUT_RANGE = (0.5, 120.0)

_BEHAVIOUR_REF = re.compile(BEHAVIOUR_REF_PATTERN)
# Keys whose string values are literal, never variable references ({str: "$x"} is the
# escape; the runner resolves $var inside text, hex and gen like anywhere else).
_LITERAL_KEYS = frozenset({"str"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One thing the linter found, at a place in a spec file."""

    #: The rule's stable ID, e.g. ``"SL001"``.
    rule: str
    severity: Severity
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.rule} {self.message}"


def _finding(rule: str, location: Location, message: str) -> Finding:
    return Finding(rule=rule, severity=RULES[rule][0], location=location, message=message)


def lint(specs: Sequence[Spec]) -> list[Finding]:
    """Every finding for ``specs``, sorted by file, line, column and rule."""
    found: list[Finding] = [*_duplicate_ids(specs), *_retired(specs), *_dependencies(specs)]
    for spec in specs:
        found += _spec_findings(spec)
        for case in spec.cases:
            for rule in _CASE_RULES:
                found += rule(spec, case)
    return sorted(found, key=_order)


def _order(finding: Finding) -> tuple[str, int, int, str]:
    at = finding.location
    return (at.file, at.line, at.column, finding.rule)


# --- rules across specs ----------------------------------------------------------------------


def _all_ids(specs: Sequence[Spec]) -> Iterator[tuple[str, Location]]:
    """Every case ID in use, loaded or broken (a broken case's ID is taken all the same)."""
    for spec in specs:
        yield from ((case.id, case.location) for case in spec.cases)
        yield from ((b.id, b.location) for b in spec.broken if not b.id.startswith("cases["))


def _duplicate_ids(specs: Sequence[Spec]) -> Iterator[Finding]:
    first: dict[str, Location] = {}
    for case_id, at in _all_ids(specs):
        if case_id in first:
            yield _finding("SL001", at, f"case ID {case_id} is already used at {first[case_id]}")
        else:
            first[case_id] = at


def _retired(specs: Sequence[Spec]) -> Iterator[Finding]:
    retired = {rid: spec.name for spec in specs for rid in spec.retired}
    superseded = {old: case for spec in specs for case in spec.cases for old in case.supersedes}
    for spec in specs:
        for case in spec.cases:
            if case.id in retired:
                why = f"is retired in spec {retired[case.id]}: retired IDs are never reused"
                yield _finding("SL005", case.location, f"case ID {case.id} {why}")
            if case.id in superseded:
                by = superseded[case.id]
                why = f"is superseded by {by.id} at {by.location}: remove one of the two"
                yield _finding("SL005", case.location, f"case {case.id} {why}")


def _dependencies(specs: Sequence[Spec]) -> Iterator[Finding]:
    cases = {case.id: case for spec in specs for case in spec.cases}
    known = {case_id for case_id, _ in _all_ids(specs)}
    for case in cases.values():
        for dep in case.depends_on:
            if dep not in known:
                yield _finding("SL006", case.location, f"depends_on names unknown case {dep}")
    graph = {cid: [d for d in case.depends_on if d in cases] for cid, case in cases.items()}
    for cycle in _cycles(graph):
        head = cases[min(cycle)]
        path = " -> ".join([*sorted(cycle), min(cycle)])
        yield _finding("SL006", head.location, f"depends_on forms a cycle: {path}")


def _cycles(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """The strongly connected components that contain a cycle (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = stack[stack.index(node):]
            del stack[stack.index(node):]
            if len(component) > 1 or node in graph[node]:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


# --- rules for one spec ----------------------------------------------------------------------


def _spec_findings(spec: Spec) -> Iterator[Finding]:
    for broken in spec.broken:
        yield _finding("SL013", broken.location, _broken_message(broken.id, broken.message, broken.location))
    seen: dict[str, Case] = {}
    for case in spec.cases:
        if case.title in seen:
            first = seen[case.title]
            yield _finding("SL011", case.location, f"title is the same as {first.id}'s: {case.title!r}")
        seen.setdefault(case.title, case)
    start = Location(file=spec.path, line=1, column=1)
    yield from _unknown_behaviours(spec.references, start)


def _broken_message(case_id: str, message: str, at: Location) -> str:
    # The loader's message starts with the location, which the finding prints already.
    detail = message.removeprefix(f"{at}: ")
    return f"case {case_id} cannot be loaded: {detail}"


def _unknown_behaviours(references: Iterable[str], at: Location) -> Iterator[Finding]:
    for ref in references:
        if _BEHAVIOUR_REF.match(ref) and ref not in vocab.BEHAVIOUR_IDS:
            yield _finding("SL004", at, f"{ref} is not a behaviour ID of the catalogue")


# --- rules for one case ----------------------------------------------------------------------


def _no_references(spec: Spec, case: Case) -> Iterator[Finding]:
    if not case.references:
        yield _finding("SL002", case.location, f"case {case.id} has no references")


def _expectations(step: Step) -> bool:
    if isinstance(step, (CallStep, AwaitStep, ObserveStep)):
        return not step.expect.is_empty()
    return isinstance(step, PropertyStep)  # the model is the expectation


def _no_expectation(spec: Spec, case: Case) -> Iterator[Finding]:
    if not any(_expectations(step) for step in case.steps):
        yield _finding("SL003", case.location, f"case {case.id} checks nothing: no step has an expect")


def _case_references(spec: Spec, case: Case) -> Iterator[Finding]:
    yield from _unknown_behaviours(case.references, case.location)


def _self_report(spec: Spec, case: Case) -> Iterator[Finding]:
    has_reference = any(actor.role == "reference" for actor in case.actors)
    has_observe = any(isinstance(step, ObserveStep) for step in case.steps)
    if not (has_reference or has_observe):
        message = "the verdict rests on the subject's replies alone: add a reference actor or an observe step"
        yield _finding("SL007", case.location, message)


def _sleeps(spec: Spec, case: Case) -> Iterator[Finding]:
    for step in case.steps:
        if isinstance(step, CallStep) and "sleep" in step.call.lower():
            message = f"call {step.call} sleeps: wait for an event (await, observe, barrier) instead"
            yield _finding("SL009", step.location, message)


def _timeout(spec: Spec, case: Case) -> Iterator[Finding]:
    low, high = TIMEOUT_RANGE
    if not low <= case.timeout <= high:
        message = f"timeout {case.timeout:g} s is outside [{low:g}, {high:g}]"
        yield _finding("SL010", case.location, message)


def _undeclared_calls(spec: Spec, case: Case) -> Iterator[Finding]:
    names = spec.interface.names()
    for step in case.steps:
        if not isinstance(step, CallStep) or step.call.startswith(("$", "os:")):
            continue
        if step.call not in names:
            module = spec.interface.module
            message = f"{step.call} is not a function or class the interface of {module} declares"
            yield _finding("SL012", step.location, message)


def _variant_names(spec: Spec, case: Case) -> Iterator[Finding]:
    counts = Counter(variant.name for variant in case.variants)
    for name, count in counts.items():
        if count > 1:
            yield _finding("SL014", case.location, f"variant name {name!r} is used {count} times")


# --- SL008: variables ------------------------------------------------------------------------


def variables(data: Any) -> Iterator[str]:
    """The variable names a value or matcher refers to (``"$p.1"`` gives ``p``)."""
    if isinstance(data, str):
        if data.startswith("$"):
            yield data[1:].split(".", 1)[0]
    elif isinstance(data, dict):
        for key, value in data.items():
            if key not in _LITERAL_KEYS:
                yield from variables(value)
    elif isinstance(data, list):
        for item in data:
            yield from variables(item)


def _uses(step: Step) -> list[Any]:
    """The data of a step that may refer to variables."""
    if isinstance(step, CallStep):
        expect = [step.expect.returns, step.expect.kernel, step.expect.exit]
        return [step.call, list(step.args), dict(step.kwargs), *expect]
    if isinstance(step, AwaitStep):
        return [step.expect.returns]
    if isinstance(step, ObserveStep):
        return [step.target, step.expect.kernel, step.expect.exit]
    return []


def _parameters(case: Case) -> set[str]:
    """The parameters every variant defines (a variable must exist in all of them)."""
    if not case.variants:
        return set()
    names = [{name for name, _ in variant.params} for variant in case.variants]
    return set.intersection(*names)


#: Variables the runner gives every case (see ``runner/orchestrator.py``: ``$box.key`` ...).
BUILTIN_VARIABLES = frozenset({"box"})


def _unsaved_variables(spec: Spec, case: Case) -> Iterator[Finding]:
    defined = _parameters(case) | BUILTIN_VARIABLES
    pending: dict[str, str] = {}  # label -> variable saved when that blocked call ends
    for step in case.steps:
        for name in dict.fromkeys(variables(_uses(step))):
            if name not in defined:
                yield _finding("SL008", step.location, f"${name} is used before any step saves it")
        _define(step, defined, pending)


def _define(step: Step, defined: set[str], pending: dict[str, str]) -> None:
    if isinstance(step, CallStep) and step.save is not None:
        if step.expect.blocks and step.label is not None:
            pending[step.label] = step.save
        else:
            defined.add(step.save)
    elif isinstance(step, AwaitStep) and step.label in pending:
        defined.add(pending.pop(step.label))


_CASE_RULES = (
    _no_references,
    _no_expectation,
    _case_references,
    _self_report,
    _unsaved_variables,
    _sleeps,
    _timeout,
    _undeclared_calls,
    _variant_names,
)


# --- coverage --------------------------------------------------------------------------------


def coverage(specs: Sequence[Spec]) -> list[tuple[str, int, int]]:
    """Per catalogue section: (section, behaviour IDs some case references, IDs in all)."""
    referenced = {ref for spec in specs for case in spec.cases for ref in case.references}
    covered: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for behaviour in vocab.BEHAVIOURS.values():
        total[behaviour.section] += 1
        covered[behaviour.section] += behaviour.id in referenced
    return [(section, covered[section], total[section]) for section in vocab.sections()]


def format_coverage(rows: Sequence[tuple[str, int, int]]) -> str:
    """The coverage table as text, with a total line."""
    width = max((len(section) for section, _, _ in rows), default=10)
    lines = ["behaviour catalogue coverage (IDs referenced by at least one case):"]
    for section, hit, total in [*rows, ("total", sum(r[1] for r in rows), sum(r[2] for r in rows))]:
        share = 100 * hit / total if total else 0.0
        lines.append(f"  {section:<{width}}  {hit:>3}/{total:<3} {share:5.1f}%")
    return "\n".join(lines)


# --- command line ----------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.spec.linter",
        description="Lint spec files. Exit 1 on errors (and warnings with --strict), "
        "2 when a path cannot be read, else 0.",
    )
    parser.add_argument("paths", nargs="*", default=["specs"], help="spec files or directories")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument("--coverage", action="store_true", help="print catalogue coverage")
    return parser


def lint_paths(paths: Sequence[str | os.PathLike[str]]) -> tuple[list[Spec], list[Finding]]:
    """Load and lint spec files; a file that cannot be loaded becomes an SL013 finding.

    Returns:
        The specs that loaded, and every finding (sorted).

    Raises:
        OSError: A file cannot be read.
    """
    specs: list[Spec] = []
    findings: list[Finding] = []
    for path in spec_files(paths):
        try:
            specs.append(load_spec(path))
        except SpecError as exc:
            findings.append(_finding("SL013", exc.location, f"spec cannot be loaded: {exc.detail()}"))
    return specs, sorted([*findings, *lint(specs)], key=_order)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the linter; see the module docstring for the arguments and exit status."""
    args = _parser().parse_args(argv)
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        print(f"spec lint: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        specs, findings = lint_paths(args.paths)
    except OSError as exc:
        print(f"spec lint: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    for finding in findings:
        print(finding)
    if args.coverage:
        print(format_coverage(coverage(specs)))
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    print(f"spec lint: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors or (args.strict and warnings) else 0


if __name__ == "__main__":
    raise SystemExit(main())
