"""The per-student report, in Markdown and in self-contained HTML.

One function, :func:`view`, decides what a student may see; the two renderers only lay it
out, so the Markdown and the HTML can never disagree about what is shown. What is shown:

* a header with the total, the isolation level the cases ran under and the spec versions;
* per mechanism, every case with its outcome and points, and for each case that did not
  pass: the step that diverged, what went wrong, expected against observed, the
  transcript, what the processes were doing (read from the kernel, for hangs), the hint,
  the references and what the program printed;
* a hidden case shows only its ID and its criterion (the mechanism): no title, outcome or
  points, since any of them tells what it checks. As on Gradescope, where students cannot
  see the total while a test is hidden, the total is that of the cases shown, and the
  header says how many hidden cases also count;
* a case released later (``after_due_date``, ``after_published``) is shown in full with a
  note: this report is the released view, and the instructor decides when to hand it out;
* a harness error shows no detail, only that the grader failed and that it costs nothing:
  its message is about the grader and may name what the case expects.

HTML escapes every value (``html.escape`` with quotes) and carries a Content-Security-
Policy that forbids scripts and outside resources, so even a program that prints
``<script>`` cannot make the report run anything. Markdown escapes the characters that
would start markup, and puts values and program output in fences longer than any run of
backticks inside them.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass

from conformance.grading.result import CaseResult, Outcome, SubmissionResult
from conformance.report.gradescope import case_maxima, visibility

#: What each outcome is called in front of a student.
LABELS = {
    Outcome.PASS: "passed", Outcome.FAIL: "failed", Outcome.TIMEOUT: "timed out", Outcome.CRASH: "crashed",
    Outcome.LEAK: "left resources behind", Outcome.SKIPPED: "skipped",
    Outcome.HARNESS_ERROR: "not graded (grader error)", Outcome.FLAKY: "flaky",
}
_RELEASED = {"after_due_date": "released after the due date", "after_published": "released when grades are published"}
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_HARNESS = "The grader failed on this case. It is not counted against you, and your instructor has been told."


@dataclass(frozen=True, slots=True)
class Detail:
    """One labelled piece of feedback; ``code`` text is shown preformatted (values, output)."""

    label: str
    text: str
    code: bool = False


@dataclass(frozen=True, slots=True)
class CaseView:
    """One case as the student sees it; a hidden case has only its ID and mechanism."""

    item_id: str
    mechanism: str
    hidden: bool
    title: str = ""
    outcome: str = ""
    label: str = ""
    points: str = ""
    note: str = ""
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    """One mechanism: its spec version, the points of its cases shown, its cases."""

    mechanism: str
    version: str
    points: str
    cases: tuple[CaseView, ...]


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the student report shows, before layout."""

    student: str
    total: str
    isolation: str
    versions: str
    notes: tuple[str, ...]
    sections: tuple[Section, ...]


def markdown(submission: SubmissionResult, *, points: float | None = None) -> str:
    """The report as Markdown (CommonMark with GitHub tables)."""
    return _Markdown().render(view(submission, points=points))


def html_page(submission: SubmissionResult, *, points: float | None = None) -> str:
    """The report as one self-contained HTML page (inline style, no script, no outside asset)."""
    return _Html().render(view(submission, points=points))


# ---------------------------------------------------------------- what the student sees


def view(submission: SubmissionResult, *, points: float | None = None) -> Report:
    """What the student may see of a submission's results (see the module docstring)."""
    worth = {id(result): value for result, value in case_maxima(submission, points)}
    mechanisms: dict[str, list[CaseResult]] = defaultdict(list)
    for result in submission.results:
        mechanisms[result.spec].append(result)
    sections = tuple(_section(name, mechanisms[name], worth) for name in sorted(mechanisms))
    shown = [r for r in submission.results if visibility(r) != "hidden"]
    return Report(
        student=submission.submission,
        total=_fraction(shown, worth),
        isolation=submission.isolation or "not recorded",
        versions=", ".join(f"{s.mechanism} {s.version}" for s in sections),
        notes=_notes(submission.results),
        sections=sections,
    )


def _section(mechanism: str, results: list[CaseResult], worth: dict[int, float]) -> Section:
    shown = [r for r in results if visibility(r) != "hidden"]
    return Section(mechanism=mechanism, version=", ".join(sorted({r.spec_version for r in results})),
                   points=_fraction(shown, worth), cases=tuple(_case(r, worth) for r in results))


def _case(result: CaseResult, worth: dict[int, float]) -> CaseView:
    if visibility(result) == "hidden":
        return CaseView(item_id=result.item_id, mechanism=result.spec, hidden=True)
    graded = id(result) in worth
    points = f"{_number(worth[id(result)] if result.passed else 0.0)}/{_number(worth[id(result)])}" if graded else "-"
    return CaseView(item_id=result.item_id, mechanism=result.spec, hidden=False, title=result.title,
                    outcome=result.outcome.value, label=LABELS[result.outcome], points=points,
                    note=_RELEASED.get(result.visibility, ""), details=_details(result))


def _details(result: CaseResult) -> tuple[Detail, ...]:
    """The feedback for a case that did not pass, in the order a student reads it."""
    if result.passed:
        return ()
    if result.outcome is Outcome.HARNESS_ERROR:
        return (Detail("Not graded", _HARNESS),)
    where = f"step {result.step}" + (f" ({result.location})" if result.location else "") if result.step else ""
    candidates = [
        Detail("Where it diverged", where), Detail("What went wrong", result.message),
        Detail("Signal", result.signal), Detail("Expected", result.expected, code=True),
        Detail("Observed", result.observed, code=True),
        Detail("What happened, step by step", "\n".join(result.transcript), code=True),
        Detail("What the processes were doing (read from the kernel)", result.diagnosis, code=True),
        Detail("Hint", result.hint), Detail("See", ", ".join(result.references)),
        Detail("What your program printed", result.output, code=True),
    ]
    return tuple(Detail(d.label, _visible(d.text), d.code) for d in candidates if d.text.strip())


def _visible(text: str) -> str:
    """Control characters (a program's colour codes, a NUL) as visible ``\\xNN`` escapes.

    Raw, a terminal escape would garble the report and a NUL cuts some viewers short; the
    escape shows the student exactly which byte their program printed.
    """
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text.replace("\r\n", "\n"))


def _notes(results: tuple[CaseResult, ...]) -> tuple[str, ...]:
    hidden = sum(visibility(r) == "hidden" for r in results)
    harness = sum(r.outcome is Outcome.HARNESS_ERROR for r in results)
    notes = []
    if hidden:
        notes.append(f"{hidden} hidden case(s) also count toward your grade; their results are not shown here.")
    if harness:
        notes.append(f"{harness} case(s) could not be graded because of a grader error; they are not counted "
                     "against you.")
    return tuple(notes)


def _fraction(results: list[CaseResult], worth: dict[int, float]) -> str:
    earned = sum(worth.get(id(r), 0.0) for r in results if r.passed)
    return f"{_number(earned)} / {_number(sum(worth.get(id(r), 0.0) for r in results))}"


def _number(value: float) -> str:
    """Points as Gradescope shows them: at most two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------- Markdown


#: Characters that start inline markup anywhere in a line (``&`` starts an entity). An
#: underscore inside a word (``read_all``) starts nothing, and stays readable unescaped.
_MD_INLINE = re.compile(r"([\\`*\[\]<>|~&#]|(?<!\w)_|_(?!\w))")
#: What starts a block at the beginning of a line: a list item or setext underline, a numbered item.
_MD_LINE_START = re.compile(r"^([-+=])|^(\d+)([.)])")


class _Markdown:
    """Lays a :class:`Report` out as Markdown."""

    def render(self, report: Report) -> str:
        lines = [f"# Conformance report: {self.inline(report.student)}", "",
                 f"- **Total:** {self.inline(report.total)}",
                 f"- **Isolation:** {self.inline(report.isolation)}",
                 f"- **Specs:** {self.inline(report.versions)}", ""]
        lines += [line for note in report.notes for line in (f"> {self.inline(note)}", "")]
        for section in report.sections:
            lines += self.section(section)
        return "\n".join(lines).rstrip("\n") + "\n"

    def section(self, section: Section) -> list[str]:
        lines = [f"## {self.inline(section.mechanism)} {self.inline(section.version)}: {self.inline(section.points)}",
                 "", "| Outcome | Points | Case | Title |", "| --- | --- | --- | --- |"]
        for case in section.cases:
            if case.hidden:
                lines.append(f"| hidden | | {self.inline(case.item_id)} | hidden case ({self.inline(case.mechanism)}) |")
            else:
                lines.append(f"| {case.label} | {case.points} | {self.inline(case.item_id)} | {self.inline(case.title)} |")
        lines.append("")
        for case in section.cases:
            lines += self.case(case) if case.details else []
        return lines

    def case(self, case: CaseView) -> list[str]:
        lines = [f"### {self.inline(case.item_id)}: {self.inline(case.title)} — {case.label}", ""]
        if case.note:
            lines += [f"*{self.inline(case.note)}*", ""]
        for detail in case.details:
            lines += self.detail(detail)
        return lines

    def detail(self, detail: Detail) -> list[str]:
        if not detail.code:
            return [f"**{detail.label}:** {self.prose(detail.text)}", ""]
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", detail.text)), default=0))
        return [f"**{detail.label}:**", "", f"{fence}text", detail.text.rstrip("\n"), fence, ""]

    @staticmethod
    def inline(text: str) -> str:
        """Text for one line (a heading, a table cell): markup escaped, line breaks as spaces."""
        return _MD_INLINE.sub(r"\\\1", " ".join(text.split("\n")))

    @staticmethod
    def prose(text: str) -> str:
        """Text for a paragraph: markup escaped, each line kept (hard breaks), none starting a block."""
        lines = [_MD_INLINE.sub(r"\\\1", line.strip()) for line in text.strip().split("\n")]
        return "  \n".join(_MD_LINE_START.sub(_Markdown._unblock, line) for line in lines)

    @staticmethod
    def _unblock(match: re.Match[str]) -> str:
        """``- x`` → ``\\- x``, ``1. x`` → ``1\\. x``: the backslash goes before the punctuation."""
        bullet, number, dot = match.groups()
        return f"\\{bullet}" if bullet else f"{number}\\{dot}"


# ---------------------------------------------------------------- HTML


_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: left; vertical-align: top; }
pre { background: #f5f5f5; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
.case { border-left: 4px solid #c0392b; padding-left: .8rem; margin: 1rem 0; }
.outcome { font-weight: 600; }
.pass { color: #1e7b34; } .fail, .crash, .leak, .timeout, .flaky { color: #b02a1e; }
.skipped, .hidden { color: #666; } .harness_error { color: #8a5a00; }
.note { color: #555; font-style: italic; }
.case p { white-space: pre-line; }
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'"


class _Html:
    """Lays a :class:`Report` out as one HTML page; every value goes through :func:`html.escape`."""

    def render(self, report: Report) -> str:
        e = self.escape
        head = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>Conformance report: {e(report.student)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n")
        body = [f"<h1>Conformance report: {e(report.student)}</h1>", "<dl>",
                f"<dt>Total</dt><dd>{e(report.total)}</dd>", f"<dt>Isolation</dt><dd>{e(report.isolation)}</dd>",
                f"<dt>Specs</dt><dd>{e(report.versions)}</dd>", "</dl>"]
        body += [f'<p class="note">{e(note)}</p>' for note in report.notes]
        for section in report.sections:
            body += self.section(section)
        return head + "\n".join(body) + "\n</body>\n</html>\n"

    def section(self, section: Section) -> list[str]:
        e = self.escape
        lines = [f"<section>\n<h2>{e(section.mechanism)} {e(section.version)}: {e(section.points)}</h2>",
                 "<table>\n<tr><th>Outcome</th><th>Points</th><th>Case</th><th>Title</th></tr>"]
        for case in section.cases:
            if case.hidden:
                lines.append(f'<tr class="hidden"><td>hidden</td><td></td><td>{e(case.item_id)}</td>'
                             f"<td>hidden case ({e(case.mechanism)})</td></tr>")
            else:
                lines.append(f'<tr><td class="outcome {e(case.outcome)}">{e(case.label)}</td><td>{e(case.points)}</td>'
                             f"<td>{e(case.item_id)}</td><td>{e(case.title)}</td></tr>")
        lines.append("</table>")
        lines += [block for case in section.cases if case.details for block in self.case(case)]
        return [*lines, "</section>"]

    def case(self, case: CaseView) -> list[str]:
        e = self.escape
        lines = [f'<div class="case" id="{e(case.item_id)}">',
                 f'<h3>{e(case.item_id)}: {e(case.title)} — <span class="outcome {e(case.outcome)}">{e(case.label)}</span></h3>']
        if case.note:
            lines.append(f'<p class="note">{e(case.note)}</p>')
        for detail in case.details:
            body = f"<pre>{e(detail.text.rstrip())}</pre>" if detail.code else f"<p>{e(detail.text.strip())}</p>"
            lines.append(f"<h4>{e(detail.label)}</h4>\n{body}")
        return [*lines, "</div>"]

    @staticmethod
    def escape(text: str) -> str:
        return html.escape(text, quote=True)
