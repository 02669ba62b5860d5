"""The reference passes every case of every spec, every time: 50 consecutive runs at -n 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SPECS = sorted((REPO / "specs").glob("*.yaml"))
RUNS = 50


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_reference_passes_every_run(spec: Path, tmp_path: Path) -> None:
    """Every case of the spec passes in each of 50 runs of the reference under -n 2."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "conformance", "grade", str(REPO / "reference"), "--specs", str(spec),
         "--repeat", str(RUNS), "-n", "2", "--no-cache", "--out", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=3600)
    tests = json.loads((tmp_path / "reference" / "results.json").read_text())["tests"]
    failed = [t["name"] + "\n" + t["output"] for t in tests if t["status"] != "passed"]
    assert not failed, "\n\n".join(failed)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"{len(tests) * RUNS} case run(s)" in run.stdout
