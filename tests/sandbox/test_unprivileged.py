"""Boxes built by an unprivileged user: namespaces through a user namespace, no root at all.

The grader is started as uid 65534 with a Python that user can read (the system's), on a
world-readable copy of the engine, and runs a case end to end (zygote, box, two actors, a
fork, a blocked read, kernel observations, an exit status).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

SYSTEM_PYTHON = "/usr/bin/python3"

SCRIPT = textwrap.dedent("""
    from pathlib import Path
    from conformance.runner.orchestrator import CaseRunner, Submission
    from conformance.sandbox import preflight
    from conformance.spec.model import (Actor, AwaitStep, CallStep, Case, Defaults, Expect, Interface, Location,
                                        ObserveStep, SpawnStep, Spec)
    at = Location(file="probe.yaml", line=1, column=1)
    steps = (
        CallStep(location=at, actor="a", call="os:pipe", save="p"),
        SpawnStep(location=at, actor="a", child="b"),
        CallStep(location=at, actor="b", call="os:close", args=("$p.1",)),
        CallStep(location=at, actor="b", call="os:read_all", args=("$p.0",), label="r", expect=Expect(blocks=True)),
        CallStep(location=at, actor="a", call="os:write_all", args=("$p.1", {"text": "hi"})),
        CallStep(location=at, actor="a", call="os:close", args=("$p.1",)),
        AwaitStep(location=at, label="r", expect=Expect(returns={"text": "hi"}, has_returns=True)),
        ObserveStep(location=at, observe="fds", actor="b", expect=Expect(kernel={"pipe_write_ends": 0})),
        CallStep(location=at, actor="b", call="os:exit", args=(3,)),
        ObserveStep(location=at, observe="exit", actor="b", expect=Expect(exit={"code": 3})),
    )
    case = Case(id="U-1", title="unprivileged", location=at, references=("PIPE-EOF-01",),
                actors=(Actor(name="a", role="subject"), Actor(name="b", role="subject", spawned_by="a")), steps=steps)
    spec = Spec(name="probe", version="1.0.0", title="p", path="probe.yaml", references=(),
                interface=Interface(module="probe", contract=""), defaults=Defaults(), cases=(case,))
    folder = Path(__file__).parent
    runner = CaseRunner(isolation=preflight.detect(), reference=folder)
    result = runner.run(spec, case, None, Submission(name="s", path=folder))
    runner.close()
    print(result.isolation)
    print(result.outcome.value, result.message)
""")


@pytest.fixture
def world_readable_engine() -> Iterator[Path]:
    """A copy of the engine and the probe script in a folder any user can read."""
    folder = Path(tempfile.mkdtemp(prefix="conformance-unprivileged-"))
    try:
        shutil.copytree(REPO / "conformance", folder / "conformance",
                        ignore=shutil.ignore_patterns("__pycache__"))
        (folder / "probe.py").write_text("")
        (folder / "run.py").write_text(SCRIPT)
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield folder
    finally:
        shutil.rmtree(folder)


def test_unprivileged_user_gets_full_isolation(world_readable_engine: Path) -> None:
    """As uid 65534 a box still gets its namespaces (via a user namespace) and the case passes."""
    if os.geteuid() != 0 or not shutil.which("setpriv") or not os.access(SYSTEM_PYTHON, os.X_OK):
        pytest.skip("needs root to switch user, setpriv, and a system Python every user can run")
    run = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i",
         f"PYTHONPATH={world_readable_engine}", SYSTEM_PYTHON, "-B", str(world_readable_engine / "run.py")],
        capture_output=True, text=True, timeout=120, cwd=world_readable_engine)
    assert run.returncode == 0, run.stderr[-3000:]
    isolation, outcome = run.stdout.strip().splitlines()[-2:]
    if isolation.startswith("DEGRADED"):
        pytest.skip(f"this host allows no unprivileged user namespaces: {isolation}")
    assert isolation.startswith("full isolation (namespaces via user namespace")
    assert outcome == "pass", outcome
