"""The class gradebook: one CSV row per student, the points earned in each mechanism, the total.

Columns, always in this order: ``student``, one column per mechanism (alphabetical, the
union over the class, so the order does not depend on who submitted what), ``total``,
``max``, ``ungraded`` (cases lost to grader errors, which explains a smaller ``max``) and
``isolation``. A mechanism a student has no graded case in is left empty rather than 0:
"not graded" is not "earned nothing".

Opening cleanly in spreadsheets means:

* UTF-8 with a byte-order mark: Excel reads a BOM-less CSV in the local code page and
  mangles accented names; LibreOffice, Google Sheets, Canvas and Python's ``utf-8-sig``
  all accept the mark;
* RFC 4180 quoting and CRLF line ends (Python's ``csv`` defaults);
* points with two decimals, as Gradescope shows them, so columns add up as displayed;
* text cells that start like a formula (``=``, ``+``, ``-``, ``@``) are prefixed with ``'``,
  so a folder named ``=HYPERLINK(...)`` is shown, not run (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from conformance.grading.result import Outcome, SubmissionResult
from conformance.report.gradescope import case_maxima

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render(submissions: list[SubmissionResult], *, points: float | None = None) -> str:
    """The gradebook text, BOM included, to be written as UTF-8.

    Args:
        points: the assignment's total, as for Gradescope, so both report the same points.
    """
    mechanisms = sorted({r.spec for s in submissions for r in s.results})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", *mechanisms, "total", "max", "ungraded", "isolation"])
    for submission in sorted(submissions, key=lambda s: s.submission):
        writer.writerow(_row(submission, mechanisms, points))
    return "\ufeff" + buffer.getvalue()


def _row(submission: SubmissionResult, mechanisms: list[str], points: float | None) -> list[str]:
    earned: dict[str, float] = defaultdict(float)
    possible = 0.0
    for result, worth in case_maxima(submission, points):
        earned[result.spec] += worth if result.passed else 0.0
        possible += worth
    ungraded = sum(r.outcome is Outcome.HARNESS_ERROR for r in submission.results)
    cells = [_points(earned[m]) if m in earned else "" for m in mechanisms]
    return [_text(submission.submission), *cells, _points(sum(earned.values())), _points(possible),
            str(ungraded), _text(submission.isolation)]


def _points(value: float) -> str:
    return f"{value:.2f}"


def _text(value: str) -> str:
    """A text cell a spreadsheet shows as text, never evaluates."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value
