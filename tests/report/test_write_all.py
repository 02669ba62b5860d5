"""write_all: every report at once, atomically, and never outside its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.grading.result import SubmissionResult
from conformance.report import summary, write_all
from tests.report.sample import alice, classroom


def test_points_reach_every_report(tmp_path: Path) -> None:
    """With points, results.json, the gradebook and the student report all show the scaled maxima."""
    write_all([alice()], tmp_path, execution_time=4.0, points=24.0)
    assert '"max_score": 4.0' in (tmp_path / "alice" / "results.json").read_text(encoding="utf-8")
    assert "alice,2.00,3.00,5.00,24.00" in (tmp_path / "gradebook.csv").read_text(encoding="utf-8-sig")
    assert "3 / 20" in (tmp_path / "alice" / "report.md").read_text(encoding="utf-8")


def test_execution_time_is_shared_among_submissions(tmp_path: Path) -> None:
    """Each results.json gets an equal share of the run's execution time."""
    write_all(classroom(), tmp_path, execution_time=9.0)
    assert '"execution_time": 3.0' in (tmp_path / "bob" / "results.json").read_text(encoding="utf-8")


def test_a_failing_emitter_leaves_the_old_reports_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything is rendered before anything is written, so an emitter's error replaces no file."""
    write_all([alice()], tmp_path, execution_time=1.0)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    def broken(submissions: list[SubmissionResult]) -> str:
        raise RuntimeError("emitter bug")

    monkeypatch.setattr(summary, "render", broken)
    with pytest.raises(RuntimeError, match="emitter bug"):
        write_all([alice()], tmp_path, execution_time=2.0)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("name", ["..", "a/b", ""])
def test_names_that_would_escape_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    """A submission name that is not one plain folder name is refused before anything is written."""
    with pytest.raises(ValueError, match="plain folder name"):
        write_all([SubmissionResult(submission=name)], tmp_path / "out", execution_time=1.0)
    assert not (tmp_path / "out").exists()


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    """Two submissions with one name would overwrite each other's reports, so they are refused."""
    with pytest.raises(ValueError, match="two submissions"):
        write_all([alice(), alice()], tmp_path, execution_time=1.0)


def test_files_are_readable_by_others(tmp_path: Path) -> None:
    """Reports are written 0644, not with the temporary file's 0600, so they can be handed out."""
    for path in write_all([alice()], tmp_path, execution_time=1.0):
        assert path.stat().st_mode & 0o777 == 0o644
