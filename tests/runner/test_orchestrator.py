"""The case runner's verdicts: each way an implementation can go wrong gets its own outcome
and a message that says what happened."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.grading.result import CaseResult, Outcome
from conformance.runner.orchestrator import CaseRunner
from conformance.sandbox import preflight
from tests.conftest import run_all, write_module, write_spec

MODULE = """
import os, signal, sys
def make_pipe():
    return os.pipe()
def read_all(fd):
    out = b""
    while chunk := os.read(fd, 4096):
        out += chunk
    return out
def segfault():
    os.kill(os.getpid(), signal.SIGSEGV)
def todo():
    raise NotImplementedError
def chatty():
    while True:
        print("x" * 1000)
def quit_early():
    os._exit(0)
def forge():
    print("PASSED"); sys.stdout.flush()
    os.write(3, b'{"type": "reply", "id": 99, "status": "returned", "value": true}')
    return False
def attack_grader():
    for target in (os.getppid(), -1, 0):
        try:
            os.kill(target, signal.SIGKILL)
        except OSError:
            pass
    return "survived"
"""

FUNCTIONS = ["make_pipe", "read_all", "segfault", "todo", "chatty", "quit_early", "forge", "attack_grader",
             "absent"]


def _case(case_id: str, steps: str, timeout: float = 3) -> str:
    return (f"- id: {case_id}\n  title: {case_id.lower()}\n  references: [PIPE-EOF-02]\n  timeout: {timeout}\n"
            f"  hint: close the write end\n  actors: {{a: subject}}\n  steps:\n{steps}")


CASES = "".join([
    _case("R-HANG", "    - {actor: a, call: make_pipe, save: p}\n"
                    "    - {actor: a, call: read_all, args: ['$p.0'], expect: {returns: {text: ''}}}\n", timeout=1),
    _case("R-SEGV", "    - {actor: a, call: segfault}\n"),
    _case("R-TODO", "    - {actor: a, call: todo}\n"),
    _case("R-FLOOD", "    - {actor: a, call: chatty}\n"),
    _case("R-EXIT", "    - {actor: a, call: quit_early, expect: {returns: null}}\n"),
    _case("R-FORGE", "    - {actor: a, call: forge, expect: {returns: true}}\n"),
    _case("R-ATTACK", "    - {actor: a, call: attack_grader, expect: {returns: survived}}\n"),
    _case("R-ABSENT", "    - {actor: a, call: absent}\n"),
])


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CaseResult]:
    folder = tmp_path_factory.mktemp("runner")
    module = write_module(folder / "impl", "probe", MODULE)
    spec = write_spec(folder / "probe.yaml", "probe", FUNCTIONS, CASES)
    runner = CaseRunner(isolation=preflight.detect(), reference=folder / "impl")
    try:
        yield run_all(runner, spec, module)
    finally:
        runner.close()


def test_hang_is_a_timeout_explained_from_the_kernel(results: dict[str, CaseResult]) -> None:
    """A read that never sees EOF times out, and the diagnosis names the forgotten write end."""
    result = results["R-HANG"]
    assert result.outcome is Outcome.TIMEOUT
    assert "blocked in read()" in result.diagnosis
    assert "holds it as descriptor 4" in result.diagnosis and "Close the end you do not use" in result.diagnosis
    assert result.step == 2 and result.location.endswith(":9")


def test_signal_death_is_a_crash_with_the_signal(results: dict[str, CaseResult]) -> None:
    """A process killed by SIGSEGV during a call is a crash naming SIGSEGV."""
    result = results["R-SEGV"]
    assert result.outcome is Outcome.CRASH and result.signal == "SIGSEGV"
    assert "SIGSEGV" in result.message


def test_not_implemented_is_said_plainly(results: dict[str, CaseResult]) -> None:
    """The template's NotImplementedError reads as 'not implemented', not as a traceback."""
    result = results["R-TODO"]
    assert result.outcome is Outcome.FAIL and "is not implemented yet" in result.message


def test_output_flood_is_cut_off(results: dict[str, CaseResult]) -> None:
    """Printing without end stops the case with a failure instead of filling the disk."""
    result = results["R-FLOOD"]
    assert result.outcome is Outcome.FAIL and "printed more than" in result.message


def test_exiting_without_reply_is_never_a_pass(results: dict[str, CaseResult]) -> None:
    """A process that exits 0 instead of returning has not completed the call."""
    result = results["R-EXIT"]
    assert result.outcome is Outcome.FAIL and "exited with code 0" in result.message


def test_forged_reply_and_printed_pass_change_nothing(results: dict[str, CaseResult]) -> None:
    """Printing PASSED and writing a fake reply to the channel do not make a false result true."""
    result = results["R-FORGE"]
    assert result.outcome is Outcome.FAIL
    assert "PASSED" in result.output


def test_signals_cannot_reach_the_grader(results: dict[str, CaseResult]) -> None:
    """kill(getppid()), kill(-1) and kill(0) from a box reach nothing outside it.

    The attacker ends up killing only itself (kill(0) is its own session); this process,
    which ran the box, is alive to see the result.
    """
    result = results["R-ATTACK"]
    assert result.outcome is Outcome.CRASH and result.signal == "SIGKILL"


def test_missing_function_is_named(results: dict[str, CaseResult]) -> None:
    """Calling a function the module does not define says which one is missing."""
    result = results["R-ABSENT"]
    assert result.outcome is Outcome.FAIL and "does not define absent()" in result.message


def test_import_error_fails_every_case_with_its_cause(tmp_path: Path, case_runner: CaseRunner) -> None:
    """A module with a syntax error fails its cases, naming the error and the line."""
    module = write_module(tmp_path / "impl", "probe", "def make_pipe(:\n    pass\n")
    spec = write_spec(tmp_path / "probe.yaml", "probe", ["make_pipe"],
                      _case("R-IMPORT", "    - {actor: a, call: make_pipe}\n"))
    result = run_all(case_runner, spec, module)["R-IMPORT"]
    assert result.outcome is Outcome.FAIL
    assert "could not be imported: SyntaxError" in result.message and "probe.py:1" in result.message


def test_import_that_hangs_is_reported(tmp_path: Path, case_runner: CaseRunner) -> None:
    """A module that blocks at import time fails with an explanation, not a harness error."""
    module = write_module(tmp_path / "impl", "probe", "import os\nos.read(os.pipe()[0], 1)\n")
    spec = write_spec(tmp_path / "probe.yaml", "probe", ["make_pipe"],
                      _case("R-IMPORTHANG", "    - {actor: a, call: make_pipe}\n", timeout=0.5))
    case_runner.timeout_multiplier = 1.0
    import conformance.runner.orchestrator as orchestrator

    original = orchestrator._STARTUP_ALLOWANCE
    orchestrator._STARTUP_ALLOWANCE = 0.5
    try:
        result = run_all(case_runner, spec, module)["R-IMPORTHANG"]
    finally:
        orchestrator._STARTUP_ALLOWANCE = original
    assert result.outcome is Outcome.FAIL and "importing the module did not finish" in result.message


def test_cleanup_failure_is_a_leak_naming_what_and_who(tmp_path: Path, case_runner: CaseRunner) -> None:
    """A zombie left behind fails a cleanup observation as a leak, naming the process and its parent."""
    # waitid(WNOWAIT) waits for the child's exit but leaves it unreaped: a zombie for sure.
    module = write_module(tmp_path / "impl", "probe", "import os\ndef fork_and_forget():\n"
                          "    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n"
                          "    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)\n")
    steps = ("    - {actor: a, call: fork_and_forget}\n"
             "    - {observe: processes, actor: a, cleanup: true, expect: {kernel: {children: 0}}}\n")
    spec = write_spec(tmp_path / "probe.yaml", "probe", ["fork_and_forget"], _case("R-LEAK", steps))
    result = run_all(case_runner, spec, module)["R-LEAK"]
    assert result.outcome is Outcome.LEAK
    assert "zombie" in result.message and "created by 'a'" in result.message


def test_case_needing_what_the_host_lacks_is_skipped_for_nothing(tmp_path: Path, case_runner: CaseRunner) -> None:
    """A case whose `requires` the host cannot offer is skipped with weight 0, saying what is missing."""
    offered = preflight.capabilities(case_runner.isolation)
    lacking = next((c for c in ("user_namespace", "root", "cgroup") if c not in offered), None)
    if lacking is None:
        pytest.skip("this host offers every capability tried")
    module = write_module(tmp_path / "impl", "probe", MODULE)
    case = (f"- id: R-NEEDS\n  title: needs {lacking}\n  references: [PIPE-DIR-01]\n  requires: [{lacking}]\n"
            "  actors: {a: subject}\n  steps:\n    - {actor: a, call: make_pipe, expect: {returns: {len: 2}}}\n")
    spec = write_spec(tmp_path / "probe.yaml", "probe", ["make_pipe"], case)
    result = run_all(case_runner, spec, module)["R-NEEDS"]
    assert result.outcome is Outcome.SKIPPED and result.weight == 0
    assert lacking in result.message
