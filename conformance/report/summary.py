"""The class summary for the instructor: which behaviours the class has not understood.

One self-contained HTML page: per mechanism, then per case, how many students passed, as an
inline SVG bar chart (no script, no library, prints and mails as it is) above a table of
every outcome's count. Rows are sorted by pass rate, lowest first, so the first lines are
the behaviours to go over again in class; ties keep mechanism and case order so the page
is the same from one run to the next.

Pass rates count only graded results: a harness error is the grader's failure, says
nothing about the student, and would make a behaviour look harder than it is. Harness
errors are listed on their own at the end, per student and case, with their message, so
the instructor can rerun them. This page is the instructor's: hidden cases are shown in
full, marked with their visibility.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import dataclass

from conformance.grading.result import CaseResult, Outcome, SubmissionResult

#: Outcomes that are not a pass, in the order the tables show their counts.
_NOT_PASSED = (Outcome.FAIL, Outcome.TIMEOUT, Outcome.CRASH, Outcome.LEAK, Outcome.FLAKY, Outcome.SKIPPED)

#: Chart geometry, in SVG user units (pixels at 100 %).
_LABEL_WIDTH, _BAR_WIDTH, _ROW_HEIGHT = 220, 420, 22


@dataclass(frozen=True, slots=True)
class Row:
    """One chart bar and table line: a case or a mechanism, with its outcome counts."""

    key: str
    title: str
    visibility: str
    outcomes: Counter[Outcome]

    @property
    def graded(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome is not Outcome.HARNESS_ERROR)

    @property
    def passed(self) -> int:
        return self.outcomes[Outcome.PASS]

    @property
    def rate(self) -> float | None:
        """Share of graded results that passed; ``None`` when nothing was graded."""
        return self.passed / self.graded if self.graded else None


def render(submissions: list[SubmissionResult]) -> str:
    """The class summary page."""
    results = [r for s in submissions for r in s.results]
    parts = [_header(submissions, results),
             "<h2>Per mechanism</h2>",
             *_chart_and_table(_mechanism_rows(submissions), "Mechanism", "Students with every case passed"),
             "<h2>Per case</h2>", *_chart_and_table(_case_rows(results), "Case", "Title"),
             "<h2>Harness errors</h2>", _harness(results)]
    return _page("\n".join(parts))


# ---------------------------------------------------------------- rows


def _case_rows(results: list[CaseResult]) -> list[Row]:
    groups: dict[tuple[str, str], list[CaseResult]] = defaultdict(list)
    for result in results:
        groups[(result.spec, result.item_id)].append(result)
    rows = [Row(key=item, title=f"{spec}: {runs[0].title}", visibility=runs[0].visibility,
                outcomes=Counter(r.outcome for r in runs)) for (spec, item), runs in sorted(groups.items())]
    return _hardest_first(rows)


def _mechanism_rows(submissions: list[SubmissionResult]) -> list[Row]:
    """A row per mechanism; its title says how many students passed every one of its cases."""
    outcomes: dict[str, Counter[Outcome]] = defaultdict(Counter)
    full: Counter[str] = Counter()
    students: Counter[str] = Counter()
    for submission in submissions:
        for mechanism in sorted({r.spec for r in submission.results}):
            runs = [r for r in submission.results if r.spec == mechanism]
            outcomes[mechanism].update(r.outcome for r in runs)
            students[mechanism] += 1
            full[mechanism] += all(r.passed for r in runs if r.outcome is not Outcome.HARNESS_ERROR)
    rows = [Row(key=m, title=f"{full[m]} of {students[m]}", visibility="", outcomes=outcomes[m]) for m in sorted(outcomes)]
    return _hardest_first(rows)


def _hardest_first(rows: list[Row]) -> list[Row]:
    """Lowest pass rate first; rows with nothing graded last (they have no rate to compare)."""
    return sorted(rows, key=lambda row: (row.rate is None, row.rate or 0.0))


# ---------------------------------------------------------------- HTML


def _chart_and_table(rows: list[Row], key_heading: str, title_heading: str) -> list[str]:
    if not rows:
        return ["<p>No results.</p>"]
    return [_chart(rows), _table(rows, key_heading, title_heading)]


def _chart(rows: list[Row]) -> str:
    """A horizontal bar per row: the passed share in green over a grey track, the count beside it."""
    width, height = _LABEL_WIDTH + _BAR_WIDTH + 120, _ROW_HEIGHT * len(rows) + 4
    bars = [_bar(i, row) for i, row in enumerate(rows)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">\n'
            f"<title>Pass rate, lowest first</title>\n" + "\n".join(bars) + "\n</svg>")


def _bar(index: int, row: Row) -> str:
    e = _escape
    y = 2 + index * _ROW_HEIGHT
    filled = round(_BAR_WIDTH * (row.rate or 0.0), 1)
    share = f"{row.passed}/{row.graded} ({row.rate:.0%})" if row.rate is not None else "not graded"
    return (f'<g><title>{e(row.key)}: {e(share)}</title>'
            f'<text x="{_LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">{e(row.key)}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 3}" width="{_BAR_WIDTH}" height="{_ROW_HEIGHT - 6}" fill="#e3e3e3"/>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 3}" width="{filled}" height="{_ROW_HEIGHT - 6}" fill="{_colour(row.rate)}"/>'
            f'<text x="{_LABEL_WIDTH + _BAR_WIDTH + 6}" y="{y + 15}">{e(share)}</text></g>')


def _colour(rate: float | None) -> str:
    """Red below half, amber below 80 %, green above: the eye goes to red first."""
    if rate is None or rate < 0.5:
        return "#c0392b"
    return "#d68910" if rate < 0.8 else "#1e8449"


def _table(rows: list[Row], key_heading: str, title_heading: str) -> str:
    e = _escape
    visibility = any(row.visibility for row in rows)  # cases have one, mechanisms do not
    heads = [key_heading, title_heading, *(["Visibility"] if visibility else []), "Passed", "Graded", "Rate",
             *(o.value for o in _NOT_PASSED)]
    lines = ["<table>", "<tr>" + "".join(f"<th>{e(h)}</th>" for h in heads) + "</tr>"]
    for row in rows:
        rate = f"{row.rate:.0%}" if row.rate is not None else "-"
        cells = [row.key, row.title, *([row.visibility] if visibility else []), str(row.passed), str(row.graded), rate,
                 *(str(row.outcomes[o]) for o in _NOT_PASSED)]
        lines.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    return "\n".join([*lines, "</table>"])


def _harness(results: list[CaseResult]) -> str:
    """The cases the grader failed on, for the instructor to rerun; they cost no student anything."""
    errors = sorted((r for r in results if r.outcome is Outcome.HARNESS_ERROR),
                    key=lambda r: (r.submission, r.spec, r.item_id))
    if not errors:
        return "<p>None: every case was graded.</p>"
    e = _escape
    lines = ["<table>", "<tr><th>Student</th><th>Mechanism</th><th>Case</th><th>Message</th></tr>"]
    lines += [f"<tr><td>{e(r.submission)}</td><td>{e(r.spec)}</td><td>{e(r.item_id)}</td>"
              f"<td><pre>{e(r.message)}</pre></td></tr>" for r in errors]
    return "\n".join([*lines, "</table>"])


def _header(submissions: list[SubmissionResult], results: list[CaseResult]) -> str:
    e = _escape
    versions = ", ".join(sorted({f"{r.spec} {r.spec_version}" for r in results}))
    isolation = "; ".join(sorted({s.isolation for s in submissions if s.isolation})) or "not recorded"
    items = len({(r.spec, r.item_id) for r in results})
    return (f"<h1>Class summary</h1>\n<dl><dt>Students</dt><dd>{len(submissions)}</dd>"
            f"<dt>Cases</dt><dd>{items}</dd><dt>Specs</dt><dd>{e(versions)}</dd>"
            f"<dt>Isolation</dt><dd>{e(isolation)}</dd></dl>")


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; vertical-align: top; }
td pre { margin: 0; white-space: pre-wrap; }
dt { font-weight: 600; float: left; clear: left; width: 6rem; } dd { margin-left: 7rem; }
"""


def _page(body: str) -> str:
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            f"<title>Class summary</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def _escape(text: str) -> str:
    return html.escape(text, quote=True)
