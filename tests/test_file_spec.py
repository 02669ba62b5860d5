"""specs/file.yaml against its reference, the student template and the seeded bugs.

The checks themselves live in ``tests/spec_harness.py`` (shared by every mechanism): the
reference passes every case, the template fails every case with "not implemented", and in
the kill matrix every seeded bug in ``tests/buggy/file/`` fails some case while every case
is failed by some bug.
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

UNDER_TEST = SpecUnderTest(spec=REPO / "specs" / "file.yaml", module="ipc_file", buggy=REPO / "tests" / "buggy" / "file")


def test_reference_passes_every_case(tmp_path: Path) -> None:
    """The reference ipc_file.py passes every case and variant of specs/file.yaml."""
    check_reference_passes_every_case(UNDER_TEST, tmp_path)


def test_template_fails_every_case_with_not_implemented(tmp_path: Path) -> None:
    """The student template fails every case, each time naming what is not implemented."""
    check_template_fails_every_case(UNDER_TEST, tmp_path)


@pytest.mark.slow
def test_kill_matrix(tmp_path: Path) -> None:
    """Every seeded bug fails some case of specs/file.yaml, and every case fails some bug."""
    check_kill_matrix(UNDER_TEST, tmp_path)
