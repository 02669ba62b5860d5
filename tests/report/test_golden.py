"""Golden files: every report of the sample class, compared byte for byte.

Run with ``UPDATE_GOLDEN=1`` to rewrite ``golden/`` from the current emitters, then review
the diff: it is exactly what students and instructors will see change.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from conformance.report import write_all
from tests.report.sample import classroom

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
FILES = sorted([f"{student}/{name}" for student in ("alice", "bob", "zoë")
                for name in ("results.json", "junit.xml", "report.md", "report.html")]
               + ["gradebook.csv", "summary.html"])


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """The sample class's reports, written once for every comparison."""
    out = tmp_path_factory.mktemp("reports")
    paths = write_all(classroom(), out, execution_time=9.0)
    if UPDATE:  # file by file, no rmtree: xdist workers may update at the same time
        for stale in [p for p in GOLDEN.rglob("*") if p.is_file() and p.relative_to(GOLDEN).as_posix() not in FILES]:
            stale.unlink()
        for name in FILES:
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / name, GOLDEN / name)
    return out, paths


def test_write_all_writes_exactly_the_golden_files(written: tuple[Path, list[Path]]) -> None:
    """write_all returns, and writes, one file per golden file and nothing else (no temporary files)."""
    out, paths = written
    assert sorted(p.relative_to(out).as_posix() for p in paths) == FILES
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == FILES
    assert sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file()) == FILES


@pytest.mark.parametrize("name", FILES)
def test_report_matches_golden(written: tuple[Path, list[Path]], name: str) -> None:
    """Each report is byte for byte its golden file (UPDATE_GOLDEN=1 regenerates them)."""
    actual, expected = (written[0] / name).read_bytes(), (GOLDEN / name).read_bytes()
    if actual != expected:
        diff = difflib.unified_diff(expected.decode("utf-8", "replace").splitlines(),
                                    actual.decode("utf-8", "replace").splitlines(), "golden", "now", lineterm="")
        pytest.fail(f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept):\n" + "\n".join(list(diff)[:80]))
