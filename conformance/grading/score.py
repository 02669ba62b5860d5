"""From case results to a grade: dependencies, weights and totals.

Dependencies are applied here, after every case has run, rather than by ordering items:
under xdist a prerequisite may run on another worker, and deciding "skipped" once, from
the complete set of results, gives the same answer whatever the scheduling.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from conformance.grading.result import CaseResult, Outcome, SubmissionResult


def apply_dependencies(results: list[CaseResult]) -> list[CaseResult]:
    """Mark a result skipped when a case it depends on did not pass (same submission).

    A case is charged once: if PIPE-B depends on PIPE-A and A fails, B shows as skipped,
    naming A, and its weight is not lost a second time for the same mistake.
    """
    passed: dict[str, dict[str, bool]] = defaultdict(dict)
    for result in results:
        ok = result.passed
        passed[result.submission][result.case_id] = passed[result.submission].get(result.case_id, True) and ok
    updated = []
    for result in results:
        missing = [dep for dep in result.depends_on if not passed[result.submission].get(dep, False)]
        if missing and result.outcome is not Outcome.HARNESS_ERROR:
            result = replace(result, outcome=Outcome.SKIPPED,
                             message=f"skipped: it builds on {', '.join(missing)}, which did not pass; fix that first")
        updated.append(result)
    return updated


def merge_repeats(results: list[CaseResult]) -> list[CaseResult]:
    """Fold repeated runs of one item into one result; differing outcomes make it flaky.

    A flaky item keeps the message of its first non-passing run, so the student still sees
    what went wrong, and it earns nothing: behaviour that passes only sometimes is not
    correct (a race, usually), and the instructor sees the counts to judge.
    """
    groups: dict[tuple[str, str], list[CaseResult]] = defaultdict(list)
    for result in results:
        groups[(result.submission, result.item_id)].append(result)
    merged = []
    for runs in groups.values():
        outcomes = {r.outcome for r in runs}
        if len(outcomes) == 1:
            merged.append(runs[0])
            continue
        failing = next(r for r in runs if not r.passed)
        counts = ", ".join(f"{sum(r.outcome is o for r in runs)}× {o.value}" for o in sorted(outcomes))
        replay = f"replay with: grade {failing.submission} -k '{failing.item_id}' --repeat {len(runs)} --no-cache"
        merged.append(replace(failing, outcome=Outcome.FLAKY,
                              message=f"differs between runs ({counts}); first failure: {failing.message} ({replay})"))
    return merged


def by_submission(results: list[CaseResult], isolation: str = "") -> list[SubmissionResult]:
    """Group results per submission, each sorted by item ID, submissions by name."""
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        groups[result.submission].append(result)
    return [
        SubmissionResult(submission=name, results=tuple(sorted(items, key=lambda r: (r.spec, r.item_id))),
                         isolation=isolation)
        for name, items in sorted(groups.items())
    ]


def case_points(result: CaseResult) -> float:
    """Points a case earns: its weight when passed, else nothing."""
    return result.weight if result.passed else 0.0
