"""The checks every mechanism's spec gets: reference, template and kill matrix, via the CLI.

A mechanism's test module builds one :class:`SpecUnderTest` and calls the three checks from
its tests (see ``tests/test_socket_spec.py``). Everything runs through the public entry
point, ``python -m conformance grade``, exactly as an instructor runs it, and reads the
``results.json`` it writes for each submission:

* the reference passes every case (and variant);
* the template fails every case, and each failure says "not implemented" (so the first
  thing a student sees is which function to write, never an engine traceback);
* the kill matrix: each seeded bug in ``tests/buggy/<mechanism>/<bug>/`` fails at least one
  case, and each case fails at least one bug. A case no bug fails tests nothing we know how
  to get wrong; a bug no case catches is a hole in the spec. On failure the whole matrix is
  printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.spec import load_spec

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference"
TEMPLATE = REPO / "student_template"

#: Outcome per item ID, for one submission: True when it passed.
Outcomes = dict[str, bool]


@dataclass(frozen=True)
class SpecUnderTest:
    """One spec file, the module it specifies and its folder of seeded bugs."""

    spec: Path
    module: str
    buggy: Path
    #: The fewest seeded bugs the folder must hold.
    min_bugs: int = 8

    def items(self) -> list[str]:
        """Every item ID of the spec: a case, or a case and one of its variants."""
        spec = load_spec(self.spec)
        assert not spec.broken, [b.message for b in spec.broken]
        return [f"{c.id}[{v.name}]" if v else c.id for c in spec.cases for v in (c.variants or (None,))]

    def grade(self, target: Path, out: Path) -> dict[str, dict[str, dict[str, object]]]:
        """Grade ``target`` (a submission, or a folder of them) with the CLI.

        Returns, per submission name, each item's Gradescope test entry keyed by item ID.
        """
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        command = [sys.executable, "-m", "conformance", "grade", str(target), "--specs", str(self.spec),
                   "-n", "2", "--no-cache", "--out", str(out)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=3600)
        assert done.returncode in (0, 1), f"the grader failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
        graded = {}
        for document in sorted(out.glob("*/results.json")):
            tests = json.loads(document.read_text(encoding="utf-8"))["tests"]
            graded[document.parent.name] = {str(t["name"]).split(":")[0].split(" ")[0]: t for t in tests}
        return graded

    def bugs(self) -> list[str]:
        return sorted(p.name for p in self.buggy.iterdir() if (p / f"{self.module}.py").is_file())


def check_reference_passes_every_case(under_test: SpecUnderTest, out: Path) -> None:
    """The reference implementation passes every item of the spec."""
    entries = under_test.grade(REFERENCE, out)[REFERENCE.name]
    assert sorted(entries) == sorted(under_test.items()), "some items were not graded"
    failed = {item: entry["output"] for item, entry in entries.items() if entry["status"] != "passed"}
    assert not failed, "\n\n".join(f"{item}:\n{text}" for item, text in failed.items())


def check_template_fails_every_case(under_test: SpecUnderTest, out: Path) -> None:
    """The student template fails every item, each time saying what is not implemented."""
    entries = under_test.grade(TEMPLATE, out)[TEMPLATE.name]
    assert sorted(entries) == sorted(under_test.items()), "some items were not graded"
    passed = [item for item, entry in entries.items() if entry["status"] == "passed"]
    assert not passed, f"the template passes {passed}: those cases check nothing the student writes"
    unclear = {item: str(entry["output"]) for item, entry in entries.items()
               if "not implemented" not in str(entry["output"]) or "Traceback" in str(entry["output"])}
    assert not unclear, "\n\n".join(f"{item}:\n{text}" for item, text in unclear.items())


def matrix_text(matrix: dict[str, Outcomes], items: list[str]) -> str:
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


def check_kill_matrix(under_test: SpecUnderTest, out: Path) -> None:
    """Every seeded bug fails some case, and every case is failed by some seeded bug."""
    bugs = under_test.bugs()
    assert len(bugs) >= under_test.min_bugs
    graded = under_test.grade(under_test.buggy, out)
    assert sorted(graded) == bugs, "some buggy implementations were not graded"
    items = under_test.items()
    matrix = {bug: {item: entry["status"] == "passed" for item, entry in graded[bug].items()} for bug in bugs}
    missing = {bug: sorted(set(items) - set(outcomes)) for bug, outcomes in matrix.items() if set(items) - set(outcomes)}
    assert not missing, f"items not graded: {missing}"
    cases = sorted({item.split("[")[0] for item in items})
    unkilled_cases = [case for case in cases
                      if all(ok for bug in bugs for item, ok in matrix[bug].items() if item.split("[")[0] == case)]
    silent_bugs = [bug for bug in bugs if all(matrix[bug].values())]
    if unkilled_cases or silent_bugs:
        pytest.fail(f"cases no bug fails: {unkilled_cases}\nbugs no case catches: {silent_bugs}\n\n"
                    + matrix_text(matrix, items))
