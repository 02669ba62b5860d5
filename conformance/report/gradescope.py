"""Gradescope's ``results.json`` for one submission, and the points every case is worth.

Format facts (Gradescope's autograder specification; ``gradescope.schema.json`` beside this
file encodes them and the tests validate every document against it):

* ``execution_time`` is a number of seconds (gradescope-utils writes a string; the spec's
  example, and this emitter, a number).
* A test passes when ``score == max_score`` unless ``status`` says otherwise. Both are always
  set and always agree, so the two rules can never disagree. A case worth nothing becomes an
  informational check (a ``status`` and no score), the only form in which a failed
  zero-point test does not read as passed.
* The four visibility values are passed through; an unknown one becomes ``hidden``, because
  failing closed shows the student less, never more.
* A hidden case shows only its ID and its criterion (the mechanism): its title, tags and
  failure text could reveal what it checks.
* Gradescope rejects results whose ``max_score`` total differs from the assignment's points
  (reported by users, not documented), so ``points`` rescales the weights to add up to the
  assignment's points exactly, in hundredths.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from conformance.grading.result import CaseResult, Outcome, SubmissionResult

#: Gradescope's visibility values, most open first.
VISIBILITIES = ("visible", "after_published", "after_due_date", "hidden")

#: Scaled points are whole hundredths: Gradescope shows two decimals, and integers add up exactly.
_HUNDREDTHS = 100

FailureText = Callable[[CaseResult], str]


def results_json(submission: SubmissionResult, execution_time: float, failure_text: FailureText, *,
                 points: float | None = None) -> dict[str, Any]:
    """The results.json document for one submission.

    Args:
        execution_time: seconds the grading of this submission took.
        failure_text: renders a non-passing result for students (``plugin.format_failure``).
        points: the assignment's total on Gradescope; ``None`` keeps the spec weights as points.
    """
    tests = [_test(result, worth, failure_text) for result, worth in case_maxima(submission, points)]
    return {
        "score": _total(test.get("score", 0.0) for test in tests),
        "execution_time": round(execution_time, 3),
        "output": _summary(submission, tests),
        "output_format": "text",
        "visibility": "visible",
        "tests": tests,
    }


def case_maxima(submission: SubmissionResult, points: float | None = None) -> list[tuple[CaseResult, float]]:
    """Each gradable case with the points it is worth; harness errors are left out.

    Leaving a harness error out of the maximum is what keeps a grader fault from costing the
    student anything: with ``points``, the remaining cases share the assignment's points.
    Every emitter that shows points uses this, so the gradebook agrees with Gradescope.
    """
    graded = [r for r in submission.results if r.outcome is not Outcome.HARNESS_ERROR]
    weights = [r.weight for r in graded]
    maxima = weights if points is None else scale(weights, points)
    return list(zip(graded, maxima, strict=True))


def scale(weights: Sequence[float], points: float) -> list[float]:
    """Share ``points`` among cases in proportion to their weights, adding up to ``points`` exactly.

    Largest-remainder rounding in hundredths: every case first gets its share rounded down,
    then the hundredths left over go to the largest remainders, earlier cases first on ties,
    so the same results always get the same points. Plain rounding would miss the total by
    a few hundredths, which Gradescope rejects. With no weight at all there is nothing to
    share in proportion to, and every case is worth 0.

    Raises:
        ValueError: ``points`` is negative or finer than hundredths, or a weight is negative.
    """
    target = round(points * _HUNDREDTHS)
    if points < 0 or not math.isclose(target, points * _HUNDREDTHS, abs_tol=1e-6):
        raise ValueError(f"points must be a non-negative multiple of 0.01, got {points!r}")
    if any(w < 0 for w in weights):
        raise ValueError(f"weights must be non-negative, got {list(weights)!r}")
    exact = [Fraction(w) for w in weights]  # exact arithmetic: no float error can move a hundredth
    total = sum(exact, Fraction(0))
    if total <= 0:
        return [0.0] * len(weights)
    shares = [w / total * target for w in exact]
    units = [math.floor(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (units[i] - shares[i], i))
    for i in by_remainder[: target - sum(units)]:
        units[i] += 1
    return [unit / _HUNDREDTHS for unit in units]


def rescale(document: dict[str, Any], points: float) -> dict[str, Any]:
    """A copy of a results.json document whose scored tests add up to ``points``.

    For documents already written by ``grade`` (``run_autograder`` uses it): each test keeps
    its status, and its score follows it, so the status and score still agree.
    """
    old = document.get("tests", [])
    maxima = iter(scale([test["max_score"] for test in old if "max_score" in test], points))
    tests = [_rescored(test, next(maxima)) if "max_score" in test else dict(test) for test in old]
    return {**document, "tests": tests, "score": _total(test.get("score", 0.0) for test in tests)}


def _rescored(test: dict[str, Any], worth: float) -> dict[str, Any]:
    """The test worth ``worth``, its keys in the usual order (scaled to nothing: informational)."""
    rest = {key: value for key, value in test.items() if key not in ("score", "max_score")}
    head = {"name": rest.pop("name")} if "name" in rest else {}
    passed = test["status"] == "passed" if "status" in test else test.get("score") == test["max_score"]
    return {**head, **_points(worth, passed), **rest}


def visibility(result: CaseResult) -> str:
    """The result's Gradescope visibility; anything unknown is ``hidden`` (fail closed)."""
    return result.visibility if result.visibility in VISIBILITIES else "hidden"


def _test(result: CaseResult, worth: float, failure_text: FailureText) -> dict[str, Any]:
    hidden = visibility(result) == "hidden"
    if result.passed:
        output = "passed"
    elif hidden:
        output = f"{result.outcome.value} (hidden case: details are not shown)"
    else:
        output = failure_text(result)
    return {
        "name": f"{result.item_id} ({result.spec}, hidden)" if hidden else f"{result.item_id}: {result.title}",
        **_points(worth, result.passed),
        "status": "passed" if result.passed else "failed",
        "output": output,
        "output_format": "text",
        "visibility": visibility(result),
        "tags": [result.spec] if hidden else [result.spec, *result.tags],
    }


def _points(worth: float, passed: bool) -> dict[str, float]:
    """score and max_score such that ``passed`` ⇔ ``score == max_score``.

    A test worth nothing carries no score at all: ``0 == 0`` would show a failure as passed.
    """
    return {"score": worth if passed else 0.0, "max_score": worth} if worth > 0 else {}


def _total(scores: Any) -> float:
    return round(math.fsum(scores), 4)


def _summary(submission: SubmissionResult, tests: list[dict[str, Any]]) -> str:
    """The top-level text: how it was graded, and what is not in the score."""
    versions = sorted({f"{r.spec} {r.spec_version}" for r in submission.results})
    lines = [f"Graded with {submission.isolation}." if submission.isolation else ""]
    lines.append(f"Specs: {', '.join(versions)}." if versions else "")
    harness = sum(r.outcome is Outcome.HARNESS_ERROR for r in submission.results)
    if harness:
        lines.append(f"{harness} case(s) could not be graded because of a grader error; they are not counted "
                     "against you and your instructor has been told.")
    hidden = sum(test["visibility"] == "hidden" for test in tests)
    if hidden:
        lines.append(f"{hidden} hidden case(s) are graded too; Gradescope shows the total once they are released.")
    return "\n".join(line for line in lines if line)


def dumps(document: dict[str, Any]) -> str:
    """The document as results.json text (UTF-8 safe, Unix newlines, as Gradescope asks)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, document: dict[str, Any]) -> None:
    """Write atomically, so an interrupted run never leaves half a results.json."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(dumps(document))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
