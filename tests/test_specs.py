"""Every mechanism's spec against its reference, the student template and its seeded bugs.

The checks live in ``tests/spec_harness.py``: the reference passes every case, the template
fails every case saying what is not implemented, and in the kill matrix every seeded bug in
``tests/buggy/<mechanism>/`` fails some case while every case is failed by some bug.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spec_harness import (
    REPO,
    SpecUnderTest,
    check_kill_matrix,
    check_reference_passes_every_case,
    check_template_fails_every_case,
)

#: Spec file stem → (module, at least this many seeded bugs).
MECHANISMS = {
    "pipe": ("ipc_pipe", 8),
    "msgqueue": ("ipc_msgqueue", 8),
    "shm": ("ipc_shm", 8),
    "signal": ("ipc_signal", 10),
    "socket": ("ipc_socket", 8),
    "fifo": ("ipc_fifo", 8),
    "file": ("ipc_file", 8),
}

UNDER_TEST = [
    SpecUnderTest(spec=REPO / "specs" / f"{name}.yaml", module=module, buggy=REPO / "tests" / "buggy" / name,
                  min_bugs=least)
    for name, (module, least) in MECHANISMS.items()
]
ids = pytest.mark.parametrize("under_test", UNDER_TEST, ids=list(MECHANISMS))


@ids
def test_reference_passes_every_case(under_test: SpecUnderTest, tmp_path: Path) -> None:
    """The reference passes every case and variant of the spec."""
    check_reference_passes_every_case(under_test, tmp_path)


@ids
def test_template_fails_every_case_with_not_implemented(under_test: SpecUnderTest, tmp_path: Path) -> None:
    """The student template fails every case, each time naming what is not implemented."""
    check_template_fails_every_case(under_test, tmp_path)


@ids
@pytest.mark.slow
def test_kill_matrix(under_test: SpecUnderTest, tmp_path: Path) -> None:
    """Every seeded bug fails some case of the spec, and every case is failed by some bug."""
    check_kill_matrix(under_test, tmp_path)


def test_every_spec_is_under_test() -> None:
    """No spec in specs/ escapes these checks."""
    assert sorted(p.stem for p in (REPO / "specs").glob("*.yaml")) == sorted(MECHANISMS)
