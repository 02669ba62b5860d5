"""The grade command and the pytest plugin, run as an instructor runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, write_module, write_spec

MODULE = """
import os
def make_pipe():
    return os.pipe()
def wrong():
    return 41
"""

GOOD = """
- id: C-GOOD
  title: a pipe has two ends
  references: [PIPE-DIR-01]
  weight: 2
  hint: return both descriptors
  actors: {a: subject}
  steps:
    - {actor: a, call: make_pipe, expect: {returns: {len: 2}}}
- id: C-BAD
  title: the answer is 42
  references: [PIPE-DIR-01]
  hint: add one
  actors: {a: subject}
  steps:
    - {actor: a, call: wrong, expect: {returns: 42}}
- id: C-BROKEN
  title: a case with a typo
  references: [PIPE-DIR-01]
  actors: {a: subject}
  steps:
    - {actor: a, call: make_pipe, expect: {retuns: 1}}
"""


def grade(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "conformance", "grade", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300, cwd=REPO)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    write_module(tmp_path / "class" / "alice", "probe", MODULE)
    write_spec(tmp_path / "specs" / "probe.yaml", "probe", ["make_pipe", "wrong"], GOOD)
    (tmp_path / "specs" / "zz-broken.yaml").write_text("spec: broken\nversion: [\n")
    return tmp_path


def test_grade_reports_each_case_and_survives_malformed_specs(workspace: Path) -> None:
    """Good cases are graded; a malformed case and a malformed file are one failing item each."""
    run = grade(workspace / "class", "--specs", workspace / "specs", "--out", workspace / "out", "-n", "2")
    assert run.returncode == 1, run.stderr
    assert "pass" in run.stdout and "C-GOOD" in run.stdout and "C-BAD" in run.stdout
    document = json.loads((workspace / "out" / "alice" / "results.json").read_text())
    names = [t["name"] for t in document["tests"]]
    assert any(n.startswith("C-GOOD") for n in names) and any(n.startswith("C-BAD") for n in names)
    assert "C-BROKEN" not in " ".join(names)  # spec errors are the author's, not on the gradesheet


def test_results_json_follows_gradescope_rules(workspace: Path) -> None:
    """Numeric execution_time, status consistent with score, max scores summing to the weights."""
    grade(workspace / "class", "--specs", workspace / "specs" / "probe.yaml", "--out", workspace / "out", "-n", "0")
    document = json.loads((workspace / "out" / "alice" / "results.json").read_text())
    assert isinstance(document["execution_time"], (int, float))
    for test in document["tests"]:
        assert (test["status"] == "passed") == (test["score"] == test["max_score"])
    assert sum(t["max_score"] for t in document["tests"]) == 3
    assert document["score"] == 2
    failed = next(t for t in document["tests"] if t["name"].startswith("C-BAD"))
    assert "expected: 42" in failed["output"] and "hint: add one" in failed["output"]


def test_keyword_selects_cases(workspace: Path) -> None:
    """-k CASE-ID runs only that case, and a clean run exits 0."""
    run = grade(workspace / "class", "--specs", workspace / "specs" / "probe.yaml", "--out", workspace / "out",
                "-n", "0", "-k", "C-GOOD")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "C-GOOD" in run.stdout and "C-BAD" not in run.stdout


def test_plain_pytest_shows_spec_location_expected_observed_and_hint(workspace: Path) -> None:
    """Under plain pytest a failure names the spec file:line, expected vs observed, and the hint."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(REPO / "conformance" / "grader.ini"), "--rootdir", str(workspace),
         "-p", "conformance.plugin", "--noconftest", "--submission", str(workspace / "class" / "alice"),
         str(workspace / "specs" / "probe.yaml"), "-k", "C-BAD or C-BROKEN"],
        capture_output=True, text=True, env=env, timeout=300, cwd=workspace)
    assert run.returncode == 1
    assert "probe.yaml:" in run.stdout and "expected: 42" in run.stdout and "observed: 41" in run.stdout
    assert "hint: add one" in run.stdout
    assert "retuns" in run.stdout  # the malformed case names its typo
