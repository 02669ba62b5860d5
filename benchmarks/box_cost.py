"""What one box costs, as a ratio to a bare fork-and-wait measured in the same run.

Absolute times on a shared 2-core machine are noisy; the ratio between two things measured
side by side, interleaved, is what this reports:

* baseline: fork two children that each send one byte over a pipe, and reap them;
* box: a full trivial case end to end — box with two actors (subject and reference), one
  call and its verdict, teardown and audit — through the same CaseRunner the grader uses.

Usage: ``nox -s bench`` or ``python benchmarks/box_cost.py [--rounds N] [--degraded]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conformance.runner.orchestrator import CaseRunner, Submission  # noqa: E402
from conformance.sandbox import preflight  # noqa: E402
from conformance.spec import load_spec  # noqa: E402

SPEC = """\
spec: bench
version: 1.0.0
title: Bench
references: ["man:pipe(2)"]
interface:
  module: ipc_pipe
  contract: benchmark
  functions:
    - {name: make_pipe, signature: "make_pipe() -> tuple[int, int]", doc: create a pipe}
cases:
  - id: BENCH-ONE
    title: one call in a box with two actors
    references: [PIPE-DIR-01]
    actors: {subject: subject, peer: reference}
    steps:
      - {actor: subject, call: make_pipe, expect: {returns: {len: 2}}}
"""


def bare_fork_pair() -> float:
    started = time.perf_counter()
    children = []
    for _ in range(2):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.write(write_end, b"x")
            os._exit(0)
        os.close(write_end)
        os.read(read_end, 1)
        os.close(read_end)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--degraded", action="store_true", help="also measure degraded isolation")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        spec_path = Path(scratch) / "bench.yaml"
        spec_path.write_text(SPEC)
        spec = load_spec(spec_path)
        levels = [preflight.detect()]
        if args.degraded:
            os.environ[preflight.FORCE_ENV] = "degraded"
            levels.append(preflight.detect())
        runners = [CaseRunner(isolation=level, reference=ROOT / "reference") for level in levels]
        submission = Submission(name="reference", path=ROOT / "reference")
        timings: dict[str, list[float]] = {"fork": []} | {level.level: [] for level in levels}
        for runner in runners:  # warm up: zygote start, first imports
            runner.run(spec, spec.cases[0], None, submission)
        for _ in range(args.rounds):  # interleaved, so load changes hit both alike
            timings["fork"].append(bare_fork_pair())
            for runner in runners:
                started = time.perf_counter()
                result = runner.run(spec, spec.cases[0], None, submission)
                timings[runner.isolation.level].append(time.perf_counter() - started)
                assert result.passed, result.message
        for runner in runners:
            runner.close()
    base = statistics.median(timings["fork"])
    print(f"{'what':<34} {'median ms':>10} {'p90 ms':>8} {'× fork':>7}")
    for name, values in timings.items():
        label = "bare fork+pipe+wait of 2 children" if name == "fork" else f"trivial case, {name} isolation"
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{label:<34} {median * 1000:>10.2f} {p90 * 1000:>8.2f} {median / base:>7.1f}")


if __name__ == "__main__":
    main()
