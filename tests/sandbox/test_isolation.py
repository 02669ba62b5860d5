"""Each case gets its own box: keys, ports and paths never collide, and nothing survives it."""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

import pytest
import sysv_ipc

from conformance.grading.result import Outcome
from conformance.runner.orchestrator import CaseRunner
from conformance.sandbox import audit, preflight
from tests.conftest import REPO, child_processes, run_all, sysv_objects, write_module, write_spec

# Fixed names (as a careless submission would use), distinct per xdist worker so that the
# host-side fixture of one worker never collides with another's.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
KEY = 0x5EED0001 + _WORKER
PORT = 47123 + _WORKER
FIFO = f"/tmp/conformance-test-probe-{_WORKER}.fifo"

PROBE = f"""
import os, socket, sysv_ipc
_keep = []
def grab():
    _keep.append(sysv_ipc.MessageQueue({KEY}, sysv_ipc.IPC_CREX))
    s = socket.socket(); s.bind(("127.0.0.1", {PORT})); s.listen(); _keep.append(s)
    os.mkfifo({FIFO!r})
    return True
def try_grab():
    try:
        return grab()
    except Exception:
        return "taken"
def leak_and_daemonize():
    sysv_ipc.MessageQueue(sysv_ipc.IPC_PRIVATE, sysv_ipc.IPC_CREX)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.read(os.pipe()[0], 1)  # blocks forever: a daemon that would outlive the case
        os._exit(0)
    return True
"""

CASES = """
- id: PROBE-GRAB
  title: grabs a fixed key, port and path exclusively
  references: [PIPE-DIR-01]
  actors: {a: subject}
  steps:
    - {actor: a, call: grab, expect: {returns: true}}
- id: PROBE-LEAK
  title: leaves a queue and a daemon behind
  references: [PIPE-DIR-01]
  actors: {a: subject}
  steps:
    - {actor: a, call: leak_and_daemonize, expect: {returns: true}}
"""


@pytest.fixture
def probe(tmp_path: Path) -> tuple[Path, Path]:
    module = write_module(tmp_path / "impl", "probe", PROBE)
    spec = write_spec(tmp_path / "probe.yaml", "probe", ["grab", "leak_and_daemonize"], CASES)
    return spec, module


@pytest.fixture
def host_holds_everything():
    """The host itself holds the key, the port and the FIFO path the probe wants.

    Created under the degraded-box lock: a degraded box running on another worker removes
    whatever our user creates while it runs (it cannot tell whose it is).
    """
    with contextlib.ExitStack() as held:
        with audit.degraded_lock():
            queue = sysv_ipc.MessageQueue(KEY, sysv_ipc.IPC_CREX)
            held.callback(queue.remove)
            listener = held.enter_context(socket.socket())
            listener.bind(("127.0.0.1", PORT))
            os.mkfifo(FIFO)
            held.callback(os.unlink, FIFO)
        yield


def test_box_has_its_own_keys_ports_and_paths(case_runner: CaseRunner, probe, host_holds_everything) -> None:
    """A key, port and FIFO path taken on the host are still free inside a box."""
    if not case_runner.isolation.full:
        pytest.skip("needs namespaces")
    results = run_all(case_runner, *probe)
    assert results["PROBE-GRAB"].outcome is Outcome.PASS, results["PROBE-GRAB"].message


def test_without_namespaces_the_same_case_collides(probe, host_holds_everything, monkeypatch) -> None:
    """The same case fails under degraded isolation: the isolation test above can fail."""
    monkeypatch.setenv(preflight.FORCE_ENV, "degraded")
    runner = CaseRunner(isolation=preflight.detect(), reference=REPO / "reference")
    try:
        result = run_all(runner, *probe, only="PROBE-GRAB")["PROBE-GRAB"]
    finally:
        runner.close()
    assert result.outcome is Outcome.FAIL
    assert "EEXIST" in result.observed or "exists" in result.observed.lower()
    assert result.isolation.startswith("DEGRADED")


@pytest.mark.parametrize("level", ["full", "degraded"])
def test_nothing_survives_a_case(probe, level: str, monkeypatch) -> None:
    """Queues and double-forked daemons a case leaves behind are gone after it."""
    if level == "degraded":
        monkeypatch.setenv(preflight.FORCE_ENV, "degraded")
    runner = CaseRunner(isolation=preflight.detect(), reference=REPO / "reference")
    if level == "full" and not runner.isolation.full:
        pytest.skip("needs namespaces")
    before_objects, before_children = sysv_objects(), child_processes()
    try:
        result = run_all(runner, *probe, only="PROBE-LEAK")["PROBE-LEAK"]
    finally:
        runner.close()
    assert result.outcome is Outcome.PASS, result.message
    # Other workers' host fixtures (keys 0x5EED00xx) may come and go meanwhile; ignore them.
    new = sysv_objects() - before_objects
    assert not {o for o in new if not 0x5EED0000 <= int(o.split(":")[1]) < 0x5EED0100}
    assert child_processes() <= before_children


def test_parallel_cases_with_the_same_names_do_not_interfere(tmp_path: Path) -> None:
    """Eight cases grabbing the same key, port and FIFO path all pass under xdist -n 2."""
    import subprocess
    import sys

    cases = "".join(
        f"- id: PAR-{n}\n  title: grab {n}\n  references: [PIPE-DIR-01]\n  actors: {{a: subject, b: subject}}\n"
        f"  steps:\n    - {{actor: a, call: grab, expect: {{returns: true}}}}\n"
        f"    - {{actor: b, call: try_grab, expect: {{returns: taken}}}}\n"
        for n in range(8)
    )
    write_module(tmp_path / "class" / "impl", "probe", PROBE)
    spec = write_spec(tmp_path / "probe.yaml", "probe", ["grab", "try_grab"], cases)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop(preflight.FORCE_ENV, None)
    if not preflight.detect().full:
        pytest.skip("needs namespaces")
    run = subprocess.run([sys.executable, "-m", "conformance", "grade", str(tmp_path / "class"), "--specs", str(spec),
                          "--out", str(tmp_path / "out"), "-n", "2"], capture_output=True, text=True, env=env,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("pass ") == 8


SNOOP = """
import glob, os
def snoop(engine, reference):
    found = {}
    found["specs"] = glob.glob(os.path.join(engine, "specs", "*.yaml"))
    found["reference"] = glob.glob(os.path.join(reference, "*.py")) + glob.glob("/tmp/.modules/*/ipc_*.py")
    found["modules"] = sorted(os.listdir("/tmp/.modules"))
    writable = []
    for target in (engine, "/etc", "/usr", os.path.dirname(__file__)):
        try:
            with open(os.path.join(target, "conformance-probe"), "w"):
                writable.append(target)
        except OSError:
            pass
    # The box's /tmp is its own tmpfs: writing there never reaches the host (checked outside).
    found["writable"] = [w for w in writable if not w.startswith("/tmp/") or w.startswith("/tmp/.modules")]
    return found
"""


def test_box_cannot_read_the_engine_or_reference_nor_write_the_host(tmp_path: Path, case_runner: CaseRunner) -> None:
    """Specs and the reference are invisible in a box, and nothing of the host is writable."""
    if not case_runner.isolation.full:
        pytest.skip("needs namespaces")
    module = write_module(tmp_path / "impl", "probe", SNOOP)
    case = (f"- id: SNOOP-1\n  title: snoop\n  references: [PIPE-DIR-01]\n  actors: {{a: subject, r: reference}}\n"
            f"  steps:\n    - {{actor: a, call: snoop, args: [{str(REPO)!r}, {str(REPO / 'reference')!r}], "
            f"expect: {{returns: {{specs: [], reference: [], writable: []}}}}}}\n")
    spec = write_spec(tmp_path / "probe.yaml", "probe", ["snoop"], case)
    # The reference actor loads reference/probe.py; give it one (it is never visible to 'a').
    runner = CaseRunner(isolation=case_runner.isolation, reference=tmp_path / "impl")
    try:
        result = run_all(runner, spec, module)["SNOOP-1"]
    finally:
        runner.close()
    assert result.outcome is Outcome.PASS, result.message + result.observed
    assert not (REPO / "conformance-probe").exists()


FORBIDDEN = ("conformance.spec", "conformance.grading", "conformance.models", "conformance.plugin",
             "conformance.runner.orchestrator", "conformance.runner.steps", "conformance.report")


def test_actor_memory_holds_no_spec_or_grading_code(tmp_path: Path, case_runner: CaseRunner) -> None:
    """What student code can find in its own process: the runtime, never specs, models or grading."""
    module = write_module(tmp_path / "impl", "probe", f"import sys\nFORBIDDEN = {FORBIDDEN!r}\ndef modules():\n"
                          "    return [m for m in sys.modules if m.startswith(FORBIDDEN)] + "
                          "[m for m in sys.modules if m == 'conformance.runner.actor']\n")
    case = ("- id: MEM-1\n  title: memory\n  references: [PIPE-DIR-01]\n  actors: {a: subject}\n"
            "  steps:\n    - {actor: a, call: modules, expect: {returns: [conformance.runner.actor]}}\n")
    spec = write_spec(tmp_path / "probe.yaml", "probe", ["modules"], case)
    result = run_all(case_runner, spec, module)["MEM-1"]
    assert result.outcome is Outcome.PASS, result.message
