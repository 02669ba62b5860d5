"""A one-line progress bar for grading runs, in place of pytest's rows of dots.

Registered by the plugin on the controller when ``--progress`` is given (the ``grade``
command gives it). On a terminal the line is redrawn in place; elsewhere (CI logs) a line
is printed at every tenth of the run, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest

_WIDTH = 30


class ProgressBar:
    """Counts finished items and draws ``[#####.....] done/total  rate  eta``."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.total = 0
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self.tty = sys.stdout.isatty()
        self._last_tenth = -1

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = max(self.total, len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.total = max(self.total, len(ids))

    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            return report.outcome, "", ""  # no dot: the bar shows progress
        return None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        self.done += 1
        self.failed += report.outcome != "passed"
        self.draw()

    def draw(self) -> None:
        total = max(self.total, self.done, 1)
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        eta = (total - self.done) / rate if rate else 0.0
        filled = int(_WIDTH * self.done / total)
        line = (f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {self.done}/{total} cases, "
                f"{self.failed} not passed, {rate:.1f}/s, about {eta:.0f}s left")
        tenth = 10 * self.done // total
        if self.tty:
            sys.stdout.write("\r" + line + ("\n" if self.done >= total else ""))
            sys.stdout.flush()
        elif tenth != self._last_tenth:
            self._last_tenth = tenth
            print(line, flush=True)
