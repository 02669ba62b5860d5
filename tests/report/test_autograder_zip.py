"""The Gradescope autograder zip: what it holds, and that its run_autograder grades like Gradescope would."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conformance.report import autograder_zip
from tests.conftest import REPO
from tests.report.validate import gradescope_errors


@pytest.fixture(scope="module")
def pipe_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An autograder zip holding only the pipe spec, for speed, worth 50 points."""
    return autograder_zip.build(tmp_path_factory.mktemp("dist") / "gradescope-autograder.zip", REPO, specs=["pipe"],
                                points=50.0)


def _layout(zip_path: Path, root: Path) -> Path:
    """Lay out ``root`` as Gradescope lays out /autograder: source/, run_autograder, submission/, results/."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):  # extractall drops the mode bits the zip carries
        (root / "source" / name).chmod(0o755)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


def test_zip_holds_the_scripts_engine_specs_and_reference(pipe_zip: Path) -> None:
    """setup.sh and run_autograder sit at the top, executable, beside the engine, the chosen spec and the reference."""
    with zipfile.ZipFile(pipe_zip) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(infos[script].external_attr >> 16) == 0o755
    assert {"pyproject.toml", "README.md", "conformance/cli.py", "conformance/report/gradescope.schema.json",
            "reference/ipc_pipe.py", "autograder.json"} <= set(infos)
    assert [name for name in infos if name.startswith("specs/")] == ["specs/pipe.yaml"]
    assert not [name for name in infos if "__pycache__" in name or name.endswith(".pyc")]


def test_build_is_reproducible(pipe_zip: Path, tmp_path: Path) -> None:
    """Building the same tree twice gives the same bytes."""
    again = autograder_zip.build(tmp_path / "again.zip", REPO, specs=["pipe"], points=50.0)
    assert again.read_bytes() == pipe_zip.read_bytes()


def test_unknown_spec_is_refused(tmp_path: Path) -> None:
    """Asking for a spec the repository does not have names it and writes no zip."""
    with pytest.raises(ValueError, match="no spec file for nosuch"):
        autograder_zip.build(tmp_path / "x.zip", REPO, specs=["nosuch"])
    assert not (tmp_path / "x.zip").exists()


def test_scripts_are_valid_bash() -> None:
    """setup.sh and run_autograder parse as bash (they cannot be run here: setup.sh installs system packages)."""
    for script in (autograder_zip.SETUP_SH, autograder_zip.RUN_AUTOGRADER):
        assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0


@pytest.mark.slow
def test_run_autograder_gives_the_reference_full_marks(pipe_zip: Path, tmp_path: Path) -> None:
    """run_autograder, run on an /autograder-like folder, writes a valid results.json giving the reference 50/50."""
    root = _layout(pipe_zip, tmp_path / "autograder")
    shutil.copy(REPO / "reference" / "ipc_pipe.py", root / "submission" / "ipc_pipe.py")
    env = {**os.environ, "AUTOGRADER_PYTHON": sys.executable, "AUTOGRADER_SPECS": "pipe"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(["bash", str(root / "run_autograder"), str(root)], env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"engine {root / 'source'}" in done.stdout, "graded with the repository's engine, not the zip's"
    document = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert gradescope_errors(document, points=50.0) == []
    assert document["score"] == 50.0 and all(t["status"] == "passed" for t in document["tests"])


def test_submission_without_python_files_is_told_so(pipe_zip: Path, tmp_path: Path) -> None:
    """A submission with no .py file gets a valid results.json explaining what to upload, without grading."""
    root = _layout(pipe_zip, tmp_path / "autograder")
    (root / "submission" / "answer.zip").write_bytes(b"PK")
    assert autograder_zip.run(root) == 0
    document = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert gradescope_errors(document) == [] and "No Python file" in document["output"]


def test_submission_zipped_in_one_folder_is_found(tmp_path: Path) -> None:
    """Files uploaded inside a single folder are graded from that folder."""
    (tmp_path / "submission" / "mine").mkdir(parents=True)
    (tmp_path / "submission" / "mine" / "ipc_pipe.py").write_text("", encoding="utf-8")
    (tmp_path / "submission" / "__MACOSX").mkdir()
    assert autograder_zip._submission_folder(tmp_path / "submission") == tmp_path / "submission" / "mine"
