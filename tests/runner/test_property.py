"""Property steps: generated sequences against a model, shrunk failures, reproducible runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.grading.result import Outcome
from conformance.runner.orchestrator import CaseRunner
from tests.conftest import run_all, write_module, write_spec

QUEUE = """
import sysv_ipc
class Queue:
    def __init__(self, key):
        self.q = sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREX)
    def send(self, data, type):
        self.q.send(data, type=type)
    def receive(self, type=0, block=True):
        data, kind = self.q.receive(block=block, type=SELECT(type))
        return [kind, data]
    def remove(self):
        self.q.remove()
def open_queue(key):
    return Queue(key)
"""

CASE = """
- id: P-QUEUE
  title: the queue follows the System V rules
  references: [MSGQ-RCV-03]
  timeout: 60
  actors: {a: subject}
  steps:
    - property: msgqueue
      actor: a
      examples: 30
      seed: 3
      max_ops: 10
      bindings:
        open: {call: open_queue, args: ["$key"]}
        send: {call: "$queue.send", args: ["$data", "$type"]}
        receive: {call: "$queue.receive", kwargs: {type: "$selector", block: "$block"}}
        close: {call: "$queue.remove"}
"""


def _run(tmp_path: Path, runner: CaseRunner, select: str) -> object:
    module = write_module(tmp_path / "impl", "ipc_q", QUEUE.replace("SELECT(type)", select))
    spec = write_spec(tmp_path / "q.yaml", "ipc_q", ["open_queue"], CASE)
    return run_all(runner, spec, module)["P-QUEUE"]


def test_correct_queue_passes(tmp_path: Path, case_runner: CaseRunner) -> None:
    """An implementation that uses the kernel's selectors passes every generated sequence."""
    result = _run(tmp_path, case_runner, "type")
    assert result.outcome is Outcome.PASS, result.message  # type: ignore[attr-defined]


def test_wrong_selector_fails_with_a_small_reproducible_sequence(tmp_path: Path, case_runner: CaseRunner) -> None:
    """Treating a negative selector as 'any type' fails with a short sequence, the same each run."""
    first = _run(tmp_path / "one", case_runner, "0 if type < 0 else type")
    second = _run(tmp_path / "two", case_runner, "0 if type < 0 else type")
    assert first.outcome is Outcome.FAIL  # type: ignore[attr-defined]
    message = first.message  # type: ignore[attr-defined]
    assert "Smallest failing sequence:" in message and "seed 3, 30 examples" in message
    assert "receive(type=-" in message
    assert message.count(";") <= 4, message  # shrunk: a handful of operations, not ten
    assert second.message == message  # type: ignore[attr-defined]


@pytest.mark.parametrize("select", ["-type if type < 0 else type"])
def test_blocking_where_the_rules_answer_at_once_stops_the_search(tmp_path: Path, case_runner: CaseRunner,
                                                                   select: str) -> None:
    """A receive that waits although a message matches is reported with what led to it."""
    result = _run(tmp_path, case_runner, select)
    assert result.outcome is Outcome.FAIL  # type: ignore[attr-defined]
    assert "did not return within" in result.message and "after:" in result.message  # type: ignore[attr-defined]
