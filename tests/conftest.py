"""Shared helpers for the engine's tests: write a tiny spec and module, run it in real boxes."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.grading.result import CaseResult
from conformance.runner.orchestrator import CaseRunner, Submission
from conformance.sandbox import preflight
from conformance.spec import load_spec

REPO = Path(__file__).resolve().parents[1]

#: Test files that grade whole specs: marked slow (nox runs them on one Python only).
_SLOW_FILES = ("test_stability.py", "test_specs.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = item.path.name
        if name in _SLOW_FILES or (name.startswith("test_") and name.endswith("_spec.py")):
            item.add_marker(pytest.mark.slow)


def write_module(folder: Path, name: str, source: str) -> Path:
    """Write ``<folder>/<name>.py`` from indented source text."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return folder


def write_spec(path: Path, module: str, functions: list[str], cases: str) -> Path:
    """Write a spec file with a minimal interface and the given ``cases:`` YAML text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    interface = "\n".join(f"    - {{name: {f}, signature: '{f}(...)', doc: test function}}" for f in functions)
    path.write_text(
        f"spec: probe\nversion: 1.0.0\ntitle: Probe\nreferences: ['man:pipe(7)']\n"
        f"interface:\n  module: {module}\n  contract: test interface\n  functions:\n{interface}\n"
        f"cases:\n{textwrap.indent(textwrap.dedent(cases), '  ')}",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def case_runner() -> Iterator[CaseRunner]:
    """A case runner with its own zygote, stopped after the test."""
    runner = CaseRunner(isolation=preflight.detect(), reference=REPO / "reference")
    yield runner
    runner.close()


def run_all(runner: CaseRunner, spec_path: Path, implementation: Path, only: str = "") -> dict[str, CaseResult]:
    """Run every case (and variant) of a spec, or only the case ``only``, against a folder."""
    spec = load_spec(spec_path)
    submission = Submission(name=implementation.name, path=implementation)
    results = {}
    for case in spec.cases:
        if only and case.id != only:
            continue
        for variant in case.variants or (None,):
            result = runner.run(spec, case, variant, submission)
            results[result.item_id] = result
    return results


def sysv_objects() -> set[str]:
    """The host's SysV IPC objects (keys and ids), to check that nothing leaked out of a box."""
    found = set()
    for kind in ("msg", "shm", "sem"):
        with open(f"/proc/sysvipc/{kind}", encoding="ascii") as handle:
            found.update(f"{kind}:{line.split()[0]}:{line.split()[1]}" for line in handle.readlines()[1:])
    return found


def child_processes() -> set[int]:
    """Live descendants of this test process (zombies excluded)."""
    from conformance.runner import kernel

    return {p for p in kernel.descendants(os.getpid()) if (s := kernel.stat(p)) and s.state != "Z"}
