"""Gradescope's ``results.json`` for one submission.

Format facts (Gradescope's autograder specification): ``execution_time`` is a number of
seconds; a test passes when ``score == max_score`` unless ``status`` says otherwise, so
both are always set and consistent; the four visibility values are passed through; a
hidden case shows the student only its ID.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from conformance.grading.result import CaseResult, Outcome, SubmissionResult
from conformance.grading.score import case_points


def results_json(submission: SubmissionResult, execution_time: float, failure_text: Any) -> dict[str, Any]:
    """The results.json document for one submission.

    Args:
        failure_text: renders a failed result for students (``plugin.format_failure``).
    """
    tests = [_test(r, failure_text) for r in submission.results if r.outcome is not Outcome.HARNESS_ERROR]
    harness = [r for r in submission.results if r.outcome is Outcome.HARNESS_ERROR]
    output = f"Graded with {submission.isolation}." if submission.isolation else ""
    if harness:
        output += (f"\n{len(harness)} case(s) could not be graded because of a grader error; they are not counted "
                   "against you and your instructor has been told.")
    return {
        "score": round(sum(t["score"] for t in tests), 4),
        "execution_time": round(execution_time, 3),
        "output": output.strip(),
        "output_format": "text",
        "visibility": "visible",
        "tests": tests,
    }


def _test(result: CaseResult, failure_text: Any) -> dict[str, Any]:
    hidden = result.visibility == "hidden"
    if result.passed:
        output = "passed"
    elif hidden:
        output = f"{result.outcome.value} (hidden case: details are not shown)"
    else:
        output = failure_text(result)
    return {
        "name": f"{result.item_id}: {result.title}" if not hidden else f"{result.item_id} (hidden)",
        "score": case_points(result),
        "max_score": result.weight,
        "status": "passed" if result.passed else "failed",
        "output": output,
        "output_format": "text",
        "visibility": result.visibility,
        "tags": [result.spec, *result.tags],
    }


def write(path: Path, document: dict[str, Any]) -> None:
    """Write atomically, so an interrupted run never leaves half a results.json."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
