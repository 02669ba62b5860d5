"""The class gradebook CSV: stable columns, points per mechanism, spreadsheet-safe text."""

from __future__ import annotations

import csv
import io

from conformance.grading.result import Outcome, SubmissionResult
from conformance.report import gradebook
from tests.report.sample import ISOLATION, case, classroom


def _rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff"), "no byte-order mark: Excel would misread UTF-8 names"
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_header_and_one_row_per_student_in_name_order() -> None:
    """The header is student, mechanisms alphabetically, total, max, ungraded, isolation; then a row per student."""
    rows = _rows(gradebook.render(classroom()))
    assert rows[0] == ["student", "pipe", "shm", "total", "max", "ungraded", "isolation"]
    assert [row[0] for row in rows[1:]] == ["alice", "bob", "zoë"]
    assert rows[1] == ["alice", "1.00", "1.50", "2.50", "12.00", "1", ISOLATION]


def test_column_order_does_not_depend_on_submission_order() -> None:
    """Shuffling the submissions changes nothing in the file."""
    assert gradebook.render(classroom()[::-1]) == gradebook.render(classroom())


def test_lines_end_with_crlf_as_rfc_4180_says() -> None:
    """Every record ends with CRLF, the line end spreadsheets expect in CSV."""
    text = gradebook.render(classroom())
    assert text.count("\r\n") == 4 and text.count("\n") == 4


def test_points_scale_every_students_maximum() -> None:
    """With points, every student's max is the assignment's points, as on Gradescope."""
    rows = _rows(gradebook.render(classroom(), points=40.0))
    assert {row[4] for row in rows[1:]} == {"40.00"}


def test_formula_like_text_is_shown_not_evaluated() -> None:
    """A student name starting like a formula is prefixed with an apostrophe (CSV injection)."""
    submission = SubmissionResult(submission="=HYPERLINK(\"x\")", results=(case("P1", Outcome.PASS, student="x"),))
    assert _rows(gradebook.render([submission]))[1][0] == "'=HYPERLINK(\"x\")"


def test_mechanism_without_graded_cases_is_empty_not_zero() -> None:
    """A student with no graded case in a mechanism gets an empty cell, and 0.00 only when graded and failed."""
    only_pipe = SubmissionResult(submission="a", results=(case("P1", Outcome.FAIL),))
    both = SubmissionResult(submission="b", results=(case("P1", Outcome.PASS), case("S1", Outcome.PASS, spec="shm")))
    rows = _rows(gradebook.render([only_pipe, both]))
    assert rows[1][:3] == ["a", "0.00", ""] and rows[2][:3] == ["b", "1.00", "1.00"]
