"""The ``hostile`` marker: hostile submissions attacking the sandbox (``tests/hostile``)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hostile: hostile submissions attacking the sandbox (research catalogue §3, tests/hostile/README.md)")
