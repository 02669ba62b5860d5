"""JUnit XML: valid against the vendored xunit2 XSD, counts that add up, one element per outcome."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.grading.result import Outcome, SubmissionResult
from conformance.plugin import format_failure
from conformance.report import junit
from tests.report.sample import alice, case, classroom
from tests.report.validate import junit_errors, xsd_errors


def _cases(text: str) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in ET.fromstring(text.encode("utf-8")).iter("testcase")}


def test_every_report_is_valid_against_the_xsd() -> None:
    """Each student's junit.xml validates against the vendored xunit2 XSD."""
    pytest.importorskip("xmlschema")
    for submission in classroom():
        assert xsd_errors(junit.render(submission, format_failure)) == []


def test_every_report_has_consistent_structure_and_counts() -> None:
    """Each junit.xml has a testsuites root, a suite per mechanism and counts that match its cases."""
    for submission in classroom():
        text = junit.render(submission, format_failure)
        assert junit_errors(text) == []
        suites = [s.get("name") for s in ET.fromstring(text.encode("utf-8"))]
        assert suites == ["pipe", "shm"]


@pytest.mark.slow
def test_pytests_own_xunit2_output_is_valid_against_the_xsd(tmp_path: Path) -> None:
    """The vendored XSD accepts what pytest writes with junit_family=xunit2, so it is not stricter than CI readers."""
    pytest.importorskip("xmlschema")
    (tmp_path / "test_sample.py").write_text(
        "import pytest\ndef test_ok():\n    print('out')\ndef test_bad():\n    assert 1 == 2\n"
        "@pytest.mark.skip(reason='no')\ndef test_skip():\n    pass\n", encoding="utf-8")
    report = tmp_path / "pytest.xml"
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "junit_family=xunit2",
                    f"--junitxml={report}", str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, check=False)
    assert xsd_errors(report.read_text(encoding="utf-8")) == []


def test_each_outcome_maps_to_its_element() -> None:
    """harness_error is an error, skipped is skipped, every other non-pass a failure typed by its outcome."""
    cases = _cases(junit.render(alice(), format_failure))
    found = {name: [(child.tag, child.get("type")) for child in element] for name, element in cases.items()}
    assert found["PIPE-DIR1"] == []
    assert found["PIPE-BIG1[1m]"] == [("error", "harness_error")]
    assert found["PIPE-DUP6"] == [("skipped", "skipped")]
    for name, outcome in (("PIPE-EOF1", "fail"), ("PIPE-EXACT1", "timeout"), ("PIPE-FORK1", "crash"),
                          ("PIPE-DUP5", "leak"), ("PIPE-ATOM1", "flaky")):
        assert found[name] == [("failure", outcome)]


def test_testcase_carries_classname_name_time_message_and_text() -> None:
    """A failing testcase has classname = mechanism, name = item ID, time, the message and the failure text."""
    element = _cases(junit.render(alice(), format_failure))["PIPE-EOF1"]
    assert (element.get("classname"), element.get("time")) == ("pipe", "0.250")
    failure = element[0]
    assert failure.get("message") == "read_all returned before the second writer closed its end"
    assert "hint: end-of-file comes only once" in (failure.text or "")


def test_control_characters_become_visible_escapes() -> None:
    """A NUL or an ANSI escape in the program's output is written as \\xNN, so the file stays parseable XML."""
    text = junit.render(alice(), format_failure)
    assert "\x00" not in text and "\x1b" not in text
    assert "NUL here:\\x00" in (_cases(text)["PIPE-EOF1"][0].text or "")


def test_hidden_case_shows_only_id_and_mechanism() -> None:
    """A hidden failure's message and text name the outcome, ID and mechanism, not what it checks."""
    element = _cases(junit.render(alice(), format_failure))["SHM-H1"]
    assert "secret" not in ET.tostring(element, encoding="unicode")
    assert element[0].get("message") == "fail (hidden case)"


def test_suite_properties_carry_points() -> None:
    """Each mechanism's suite carries its points earned and possible, scaled like Gradescope's."""
    root = ET.fromstring(junit.render(alice(), format_failure, points=24.0).encode("utf-8"))
    properties = {s.get("name"): {p.get("name"): p.get("value") for p in s.iter("property")} for s in root}
    assert properties["pipe"]["points_earned"] == "2" and properties["pipe"]["points_possible"] == "16"
    assert properties["shm"]["spec_version"] == "2.1.0"


def test_unsorted_results_still_give_one_suite_per_mechanism() -> None:
    """Results not grouped by mechanism still give exactly one testsuite per mechanism."""
    results = (case("A1", Outcome.PASS), case("S1", Outcome.PASS, spec="shm"), case("A2", Outcome.FAIL))
    root = ET.fromstring(junit.render(SubmissionResult(submission="x", results=results), format_failure).encode("utf-8"))
    assert [(s.get("name"), s.get("tests")) for s in root] == [("pipe", "2"), ("shm", "1")]
