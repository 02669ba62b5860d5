"""The class summary: hardest behaviours first, an inline SVG chart, harness errors on their own."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from conformance.report import summary
from tests.report.sample import classroom


def _case_table_order(page: str) -> list[str]:
    table = page.split("<h2>Per case</h2>")[1].split("<table>")[1].split("</table>")[0]
    return re.findall(r"<tr><td>([^<]+)</td>", table)


def test_cases_are_sorted_lowest_pass_rate_first() -> None:
    """The case table starts with the least understood case and ends with the ungraded one."""
    order = _case_table_order(summary.render(classroom()))
    assert order[0] == "SHM-H1" and order[-1] == "PIPE-BIG1[1m]"
    assert order.index("PIPE-EOF1") < order.index("PIPE-DIR1")


def test_mechanisms_are_sorted_and_count_students_with_full_marks() -> None:
    """Each mechanism row says how many students passed every case of it, pipe (48 %) before shm (53 %)."""
    page = summary.render(classroom())
    mechanisms = page.split("<h2>Per mechanism</h2>")[1].split("<h2>")[0]
    assert mechanisms.index("<td>pipe</td><td>1 of 3</td>") < mechanisms.index("<td>shm</td><td>0 of 3</td>")


def test_charts_are_inline_svg_without_script_or_outside_resource() -> None:
    """Each chart is well-formed inline SVG, a bar per row, and the page has no script or external link."""
    page = summary.render(classroom())
    charts = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert len(charts) == 2
    bars = [len(ET.fromstring(chart).findall("{http://www.w3.org/2000/svg}g")) for chart in charts]
    assert bars == [2, 13]
    assert "<script" not in page and "src=" not in page and "href=" not in page


def test_harness_errors_are_listed_for_the_instructor() -> None:
    """Every harness error appears once per student, with its message, outside the pass rates."""
    section = summary.render(classroom()).split("<h2>Harness errors</h2>")[1]
    assert section.count("PIPE-BIG1[1m]") == 3 and "BrokenPipeError in /grader/x.py" in section


def test_titles_are_escaped() -> None:
    """A title with markup is shown as text."""
    page = summary.render(classroom())
    assert "&lt;every&gt;" in page and "<every>" not in page


def test_empty_class_renders() -> None:
    """A class with no results gives a page that says so rather than an error."""
    page = summary.render([])
    assert "No results." in page and "None: every case was graded." in page
