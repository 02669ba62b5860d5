"""Resource fences: a fork bomb and a memory hog stay inside their box."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.grading.result import Outcome
from conformance.runner.orchestrator import CaseRunner
from conformance.sandbox import cgroups
from tests.conftest import child_processes, run_all, write_module, write_spec

HOG = """
import os
def fork_bomb():
    made = 0
    try:
        while True:
            if os.fork() == 0:
                os.read(os.pipe()[0], 1)  # every child waits forever
            made += 1
    except OSError as exc:
        return [made, exc.errno]
def eat_memory():
    blocks = []
    while True:
        blocks.append(bytearray(64 * 1024 * 1024))
def spin():
    import signal, resource
    signal.signal(signal.SIGXCPU, lambda *_: None)  # try to survive the CPU limit
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        pass
    while True:
        pass
"""

CASES = """
- id: L-BOMB
  title: fork bomb
  references: [PIPE-DIR-01]
  actors: {a: subject}
  steps:
    - {actor: a, call: fork_bomb, save: r, expect: {returns: {items: [{le: 64}, 11]}}}
- id: L-MEMORY
  title: memory hog
  references: [PIPE-DIR-01]
  timeout: 30
  actors: {a: subject}
  steps:
    - {actor: a, call: eat_memory}
- id: L-SPIN
  title: cpu spin
  references: [PIPE-DIR-01]
  timeout: 1
  actors: {a: subject}
  steps:
    - {actor: a, call: spin}
"""


@pytest.fixture
def hog(tmp_path: Path) -> tuple[Path, Path]:
    module = write_module(tmp_path / "impl", "probe", HOG)
    spec = write_spec(tmp_path / "probe.yaml", "probe", ["fork_bomb", "eat_memory", "spin"], CASES)
    return spec, module


def test_fork_bomb_stops_at_the_box_limit(case_runner: CaseRunner, hog: tuple[Path, Path]) -> None:
    """A fork bomb gets EAGAIN at the box's process limit, even as root, and leaves nothing."""
    if not case_runner.isolation.cgroups:
        pytest.skip("needs cgroups")
    before = child_processes()
    result = run_all(case_runner, *hog, only="L-BOMB")["L-BOMB"]
    assert result.outcome is Outcome.PASS, result.message
    zygote = case_runner.zygote_pid
    assert child_processes() - {zygote} <= before


def test_box_cgroup_is_created_with_limits_and_removed() -> None:
    """A box cgroup carries the process and memory limits and disappears when removed."""
    if not cgroups.version():
        pytest.skip("needs cgroups")
    group = cgroups.create(f"test-{os.getpid()}", 17, 64 * 1024 * 1024)
    assert group is not None
    try:
        limits = {name: open(os.path.join(folder, name)).read().strip()
                  for folder in group.folders for name in ("pids.max", "memory.max", "memory.limit_in_bytes")
                  if os.path.exists(os.path.join(folder, name))}
        assert limits["pids.max"] == "17"
        assert int(limits.get("memory.max") or limits["memory.limit_in_bytes"]) == 64 * 1024 * 1024
    finally:
        group.remove()
    assert not any(os.path.exists(folder) for folder in group.folders)


def test_memory_hog_is_killed_and_told_why(case_runner: CaseRunner, hog: tuple[Path, Path]) -> None:
    """Allocating past the box's memory is a crash (the kernel's SIGKILL) explained as out of memory."""
    result = run_all(case_runner, *hog, only="L-MEMORY")["L-MEMORY"]
    assert result.outcome in (Outcome.CRASH, Outcome.FAIL)
    if result.outcome is Outcome.CRASH:
        assert "ran out of memory" in result.message
    else:  # without cgroups, RLIMIT_AS turns it into a MemoryError
        assert "MemoryError" in result.message


def test_cpu_spin_cannot_outlive_its_deadline(case_runner: CaseRunner, hog: tuple[Path, Path]) -> None:
    """A spinning call that catches SIGXCPU and tries to lift its limit still times out."""
    result = run_all(case_runner, *hog, only="L-SPIN")["L-SPIN"]
    assert result.outcome is Outcome.TIMEOUT
    assert "running" in result.diagnosis
