"""JUnit XML (the xunit2 flavour pytest writes with ``junit_family=xunit2``) for one submission.

Layout: a ``<testsuites>`` root named after the submission, holding one ``<testsuite>`` per
mechanism, holding one ``<testcase classname=MECHANISM name=ITEM-ID time=SECONDS>`` per
case. Why this shape rather than one flat ``<testsuite>``:

* pytest itself always writes a ``<testsuites>`` root, so every CI reader that accepts
  pytest's reports (Jenkins' JUnit plugin, GitLab, Azure DevOps, the GitHub Actions
  reporters) accepts this one;
* Jenkins and Azure show counts per ``<testsuite>``, so a mechanism's failures read as a
  group; GitLab shows ``classname`` as the suite, which is the mechanism too, so the two
  views agree;
* GitLab keeps only the first of two cases with the same name and once keyed cases on
  classname + name: item IDs are unique within a submission, so nothing collapses.

JUnit has no points, so each ``<testsuite>`` carries them in ``<properties>`` (valid in
xunit2 at suite level; pytest warns only about properties under ``<testcase>``).

Outcome mapping: ``harness_error`` → ``<error>`` (the grader broke, not the code);
``skipped`` → ``<skipped>``; every other non-passing outcome → ``<failure type=OUTCOME>``.
The ``message`` attribute is the one-line verdict, the element text the student-facing
failure text. A hidden case shows only its ID and mechanism, as on Gradescope.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable

from conformance.grading.result import CaseResult, Outcome, SubmissionResult
from conformance.report.gradescope import case_maxima, visibility

FailureText = Callable[[CaseResult], str]

#: The count attributes of a suite, in the order pytest writes them, and the element each counts.
_COUNTS = {"tests": "", "failures": "failure", "errors": "error", "skipped": "skipped"}

#: Characters XML 1.0 cannot carry, even escaped: control characters (a program's ANSI
#: colours, a stray NUL) and lone surrogates. Left in, they make the whole file unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(submission: SubmissionResult, failure_text: FailureText, *, points: float | None = None) -> str:
    """The junit.xml text for one submission.

    Args:
        failure_text: renders a non-passing result for students (``plugin.format_failure``).
        points: the assignment's total, as for Gradescope; only the suite properties use it.
    """
    # Keyed by identity: two equal results may still be worth different hundredths.
    worth = {id(result): value for result, value in case_maxima(submission, points)}
    mechanisms: dict[str, list[CaseResult]] = defaultdict(list)
    for result in submission.results:
        mechanisms[result.spec].append(result)
    root = ET.Element("testsuites", name=_clean(submission.submission))
    for mechanism in sorted(mechanisms):
        root.append(_suite(mechanism, mechanisms[mechanism], worth, submission.isolation, failure_text))
    _add_up(root, {key: sum(int(suite.get(key, "0")) for suite in root) for key in _COUNTS})
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(mechanism: str, results: list[CaseResult], worth: dict[int, float], isolation: str,
           failure_text: FailureText) -> ET.Element:
    """One mechanism's ``<testsuite>``: its properties, then a testcase per item."""
    suite = ET.Element("testsuite", name=_clean(mechanism))
    properties = ET.SubElement(suite, "properties")
    earned = sum(worth.get(id(r), 0.0) for r in results if r.passed)
    possible = sum(worth.get(id(r), 0.0) for r in results)
    versions = sorted({r.spec_version for r in results})
    for name, value in (("points_earned", f"{earned:g}"), ("points_possible", f"{possible:g}"),
                        ("spec_version", ", ".join(versions)), ("isolation", isolation)):
        ET.SubElement(properties, "property", name=name, value=_clean(value))
    cases = [_case(result, failure_text) for result in results]
    suite.extend(cases)
    details = [child.tag for case in cases for child in case]
    _add_up(suite, {"tests": len(cases), **{key: details.count(tag) for key, tag in _COUNTS.items() if tag}})
    return suite


def _case(result: CaseResult, failure_text: FailureText) -> ET.Element:
    case = ET.Element("testcase", classname=_clean(result.spec), name=_clean(result.item_id),
                      time=f"{result.duration:.3f}")
    if result.passed:
        return case
    hidden = visibility(result) == "hidden"
    message = f"{result.outcome.value} (hidden case)" if hidden else _first_line(result.message) or result.outcome.value
    text = f"hidden case {result.item_id} ({result.spec}): details are not shown" if hidden else failure_text(result)
    detail = ET.SubElement(case, _element(result.outcome), type=result.outcome.value, message=_clean(message))
    detail.text = _clean(text)
    return case


def _element(outcome: Outcome) -> str:
    """The JUnit element for a non-passing outcome: whose fault it is decides."""
    if outcome is Outcome.HARNESS_ERROR:
        return "error"
    if outcome is Outcome.SKIPPED:
        return "skipped"
    return "failure"


def _add_up(element: ET.Element, totals: dict[str, int]) -> None:
    """Set the counts, then the time as the sum of the children's (a suite's cases, the root's suites)."""
    for key in _COUNTS:
        element.set(key, str(totals[key]))
    element.set("time", f"{sum(float(child.get('time', '0')) for child in element if child.tag != 'properties'):.3f}")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _clean(text: str) -> str:
    """Text XML can carry: each forbidden character becomes its visible ``\\xNN`` escape."""
    return _NOT_XML.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)
