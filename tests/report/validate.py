"""Format checks shared by the report tests: Gradescope's schema and rules, JUnit's XSD and counts."""

from __future__ import annotations

import functools
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema

from conformance.report import gradescope

SCHEMA = Path(gradescope.__file__).with_name("gradescope.schema.json")
XSD = Path(__file__).with_name("junit-xunit2.xsd")


def gradescope_errors(document: dict[str, Any], points: float | None = None) -> list[str]:
    """Everything wrong with a results.json document: schema errors, then the rules a schema cannot state."""
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(document)]
    for test in document.get("tests", []):
        if "max_score" in test and (test["status"] == "passed") != (test["score"] == test["max_score"]):
            errors.append(f"{test['name']}: status {test['status']} but score {test['score']}/{test['max_score']}")
    if points is not None and document.get("tests"):
        hundredths = sum(round(t.get("max_score", 0) * 100) for t in document["tests"])
        if hundredths != round(points * 100):
            errors.append(f"max_score adds up to {hundredths / 100}, not {points}")
    if not math.isclose(document.get("score", 0), sum(t.get("score", 0) for t in document.get("tests", [])), abs_tol=1e-6):
        errors.append(f"score {document.get('score')} is not the sum of the tests' scores")
    return errors


def junit_errors(text: str) -> list[str]:
    """Everything wrong with a junit.xml text that the XSD does not see: structure and consistent counts."""
    root = ET.fromstring(text.encode("utf-8"))
    errors = [] if root.tag == "testsuites" else [f"root is <{root.tag}>, not <testsuites>"]
    for suite in root:
        errors += _suite_errors(suite)
    for key in ("tests", "failures", "errors", "skipped"):
        if int(root.get(key, "-1")) != sum(int(suite.get(key, "0")) for suite in root):
            errors.append(f"testsuites {key}={root.get(key)} is not the sum over its suites")
    return errors


def _suite_errors(suite: ET.Element) -> list[str]:
    name = suite.get("name")
    if suite.tag != "testsuite" or not name:
        return [f"<{suite.tag} name={name!r}> under the root"]
    cases = suite.findall("testcase")
    errors = [f"{name}: <{child.tag}> is not allowed in a testsuite"
              for child in suite if child.tag not in ("properties", "testcase", "system-out", "system-err")]
    details = [child.tag for case in cases for child in case]
    expected = {"tests": len(cases), "failures": details.count("failure"), "errors": details.count("error"),
                "skipped": details.count("skipped")}
    errors += [f"{name}: {key}={suite.get(key)}, counted {value}" for key, value in expected.items()
               if suite.get(key) != str(value)]
    for case in cases:
        outcomes = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        if not case.get("classname") or not case.get("name") or float(case.get("time", "-1")) < 0 or len(outcomes) > 1:
            errors.append(f"{name}: bad testcase {case.attrib} with {outcomes}")
        if case.find("properties") is not None:
            errors.append(f"{name}: properties under testcase {case.get('name')} are not xunit2")
    return errors


def xsd_errors(text: str) -> list[str]:
    """Errors of a JUnit XML text against the vendored xunit2 XSD (needs ``xmlschema``)."""
    return [str(error.reason) for error in _xsd().iter_errors(text)]


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@functools.cache
def _xsd() -> Any:
    import xmlschema  # optional: the XSD tests skip without it, junit_errors always runs

    return xmlschema.XMLSchema(str(XSD))
