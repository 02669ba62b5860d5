"""specs/msgqueue.yaml against its reference, the student template and the seeded bugs.

Everything runs through the public entry point, ``python -m conformance grade``, exactly as
an instructor runs it, and reads the ``results.json`` it writes for each submission:

* the reference passes every case (and variant);
* the template fails every case, and each failure says "not implemented" (so the first
  thing a student sees is which function to write, never an engine traceback);
* the kill matrix: each seeded bug in ``tests/buggy/msgqueue/<bug>/`` fails at least one case,
  and each case fails at least one bug. A case no bug fails tests nothing we know how to
  get wrong; a bug no case catches is a hole in the spec. On failure the whole matrix is
  printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.spec import load_spec

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "specs" / "msgqueue.yaml"
REFERENCE = REPO / "reference"
TEMPLATE = REPO / "student_template"
BUGGY = REPO / "tests" / "buggy" / "msgqueue"

#: Outcome per item ID, for one submission: True when it passed.
Outcomes = dict[str, bool]


def _items() -> list[str]:
    """Every item ID of the spec: a case, or a case and one of its variants."""
    spec = load_spec(SPEC)
    assert not spec.broken, [b.message for b in spec.broken]
    return [f"{c.id}[{v.name}]" if v else c.id for c in spec.cases for v in (c.variants or (None,))]


def _grade(target: Path, out: Path) -> dict[str, dict[str, dict[str, object]]]:
    """Grade ``target`` (a submission, or a folder of them) with the CLI.

    Returns, per submission name, each item's Gradescope test entry keyed by item ID.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "conformance", "grade", str(target), "--specs", str(SPEC),
               "-n", "2", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=1800)
    assert done.returncode in (0, 1), f"the grader failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    graded = {}
    for document in sorted(out.glob("*/results.json")):
        tests = json.loads(document.read_text(encoding="utf-8"))["tests"]
        graded[document.parent.name] = {str(t["name"]).split(":")[0].split(" ")[0]: t for t in tests}
    return graded


def _passed(entries: dict[str, dict[str, object]]) -> Outcomes:
    return {item: entry["status"] == "passed" for item, entry in entries.items()}


def test_reference_passes_every_case(tmp_path: Path) -> None:
    """The reference implementation passes every case and variant of the spec."""
    graded = _grade(REFERENCE, tmp_path)
    entries = graded[REFERENCE.name]
    assert sorted(entries) == sorted(_items()), "some items were not graded"
    failed = {item: entry["output"] for item, entry in entries.items() if entry["status"] != "passed"}
    assert not failed, "\n\n".join(f"{item}:\n{text}" for item, text in failed.items())


def test_template_fails_every_case_with_not_implemented(tmp_path: Path) -> None:
    """The student template fails every case, each time saying what is not implemented yet."""
    graded = _grade(TEMPLATE, tmp_path)
    entries = graded[TEMPLATE.name]
    assert sorted(entries) == sorted(_items()), "some items were not graded"
    passed = [item for item, entry in entries.items() if entry["status"] == "passed"]
    assert not passed, f"the template passes {passed}: those cases check nothing the student writes"
    unclear = {item: str(entry["output"]) for item, entry in entries.items()
               if "not implemented" not in str(entry["output"]) or "Traceback" in str(entry["output"])}
    assert not unclear, "\n\n".join(f"{item}:\n{text}" for item, text in unclear.items())


def _matrix_text(matrix: dict[str, Outcomes], items: list[str]) -> str:
    """The kill matrix as text: one row per item, one column per bug (X = the bug fails it)."""
    bugs = sorted(matrix)
    width = max(len(item) for item in items)
    lines = [f"{'':{width}}  " + " ".join(f"{n:>2}" for n in range(len(bugs)))]
    for item in items:
        marks = " ".join(" X" if not matrix[bug].get(item, True) else " ." for bug in bugs)
        lines.append(f"{item:{width}}  {marks}")
    lines.append("")
    lines += [f"{n:>2} {bug}: fails {sum(not ok for ok in matrix[bug].values())} item(s)" for n, bug in enumerate(bugs)]
    return "\n".join(lines)


def test_kill_matrix(tmp_path: Path) -> None:
    """Every seeded bug fails at least one case, and every case fails at least one seeded bug."""
    bugs = sorted(p.name for p in BUGGY.iterdir() if (p / "ipc_msgqueue.py").is_file())
    assert len(bugs) >= 8
    graded = _grade(BUGGY, tmp_path)
    assert sorted(graded) == bugs, "some buggy implementations were not graded"
    items = _items()
    matrix = {bug: _passed(graded[bug]) for bug in bugs}
    missing = {bug: sorted(set(items) - set(outcomes)) for bug, outcomes in matrix.items() if set(items) - set(outcomes)}
    assert not missing, f"items not graded: {missing}"
    cases = sorted({item.split("[")[0] for item in items})
    unkilled_cases = [case for case in cases
                      if all(ok for bug in bugs for item, ok in matrix[bug].items() if item.split("[")[0] == case)]
    silent_bugs = [bug for bug in bugs if all(matrix[bug].values())]
    if unkilled_cases or silent_bugs:
        pytest.fail(f"cases no bug fails: {unkilled_cases}\nbugs no case catches: {silent_bugs}\n\n"
                    + _matrix_text(matrix, items))
