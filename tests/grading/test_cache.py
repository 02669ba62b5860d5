"""Incremental and resumable grading: unchanged items come from the cache, a killed run resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from conformance.grading.cache import ResultCache, folder_digest
from conformance.grading.result import CaseResult, Outcome
from tests.conftest import REPO, write_module, write_spec

MODULE = """
import os
HERE = os.path.dirname(__file__)
def make_pipe():
    return os.pipe()
def gated():
    where = os.path.join(HERE, "gate_path.txt")
    GATE = open(where).read() if os.path.exists(where) else ""
    if GATE and os.path.exists(GATE):  # a FIFO the test holds: the case waits here until released
        with open(GATE, "rb") as gate:
            gate.read()
    return os.pipe()
"""
CASES = "".join(
    f"- id: K-{n}\n  title: case {n}\n  references: [PIPE-DIR-01]\n  actors: {{a: subject}}\n"
    f"  steps:\n    - {{actor: a, call: {'gated' if n == 5 else 'make_pipe'}, expect: {{returns: {{len: 2}}}}}}\n"
    for n in range(6)
)


def _command(workspace: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "conformance", "grade", str(workspace / "class"), "--specs",
            str(workspace / "k.yaml"), "--out", str(workspace / "out"), *extra]


def _grade(workspace: Path, *extra: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(_command(workspace, *extra), capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def _workspace(tmp_path: Path) -> Path:
    for name in ("ann", "bob"):
        write_module(tmp_path / "class" / name, "probe", MODULE)
    write_spec(tmp_path / "k.yaml", "probe", ["make_pipe", "gated"], CASES)
    return tmp_path


def test_unchanged_items_come_from_the_cache(tmp_path: Path) -> None:
    """A second run reuses every result; changing one submission re-grades only that one."""
    workspace = _workspace(tmp_path)
    assert "0 from the cache, 12 run in boxes" in _grade(workspace, "-n", "0")
    assert "12 from the cache, 0 run in boxes" in _grade(workspace, "-n", "0")
    (workspace / "class" / "bob" / "probe.py").write_text(MODULE + "# changed\n")
    assert "6 from the cache, 6 run in boxes" in _grade(workspace, "-n", "0")


def test_a_killed_run_resumes_without_losing_or_duplicating(tmp_path: Path) -> None:
    """Kill a batch in the middle of a case; the next run completes it, each item exactly once.

    Items run in order with -n 0; ann's last case blocks opening a FIFO the test holds, so
    when the test's open of that FIFO returns, ann's first five results are stored and the
    sixth is running: that is when the whole run is killed.
    """
    workspace = _workspace(tmp_path)
    # The FIFO lives outside the submission (graded submissions are copied, FIFOs left out)
    # and outside /tmp (a box has its own): /var/tmp is visible, read-only, in the box.
    gate_folder = Path(tempfile.mkdtemp(prefix="conformance-gate-", dir="/var/tmp"))
    gate = gate_folder / "gate"
    os.mkfifo(gate)
    (workspace / "class" / "ann" / "gate_path.txt").write_text(str(gate))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(_command(workspace, "-n", "0"), env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    signal.alarm(120)  # deadline for the blocking open below
    try:
        writer = os.open(gate, os.O_WRONLY)  # returns once K-5's box has opened the gate
    finally:
        signal.alarm(0)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    os.close(writer)
    gate.unlink()
    gate_folder.rmdir()
    stored = len(list((workspace / "out" / ".cache").glob("*/*.json")))
    assert stored == 5
    assert "5 from the cache, 7 run in boxes" in _grade(workspace, "-n", "0")
    for name in ("ann", "bob"):
        tests = json.loads((workspace / "out" / name / "results.json").read_text())["tests"]
        assert sorted(t["name"].split(":")[0] for t in tests) == [f"K-{n}" for n in range(6)]


def test_harness_errors_are_not_cached(tmp_path: Path) -> None:
    """A grader failure is retried next time rather than remembered."""
    cache = ResultCache(tmp_path)
    result = CaseResult(item_id="X", case_id="X", spec="s", spec_version="1", title="t", submission="a",
                        outcome=Outcome.HARNESS_ERROR, weight=1)
    cache.put("k" * 64, result)
    assert cache.get("k" * 64) is None


def test_folder_digest_sees_content_and_names(tmp_path: Path) -> None:
    """The digest changes when a file's content or name changes, and only then."""
    (tmp_path / "a.py").write_text("x = 1\n")
    first = folder_digest(tmp_path)
    assert folder_digest(tmp_path) == first
    (tmp_path / "a.py").write_text("x = 2\n")
    assert folder_digest(tmp_path) != first
