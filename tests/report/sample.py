"""A fixed, hand-written class of results: every outcome, every visibility, hostile text.

The golden files under ``golden/`` are rendered from exactly these values, so any change
here must come with ``UPDATE_GOLDEN=1`` and a review of the diff.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conformance.grading.result import CaseResult, Outcome, SubmissionResult

ISOLATION = "full isolation (namespaces via root)"


def case(item_id: str, outcome: Outcome, *, spec: str = "pipe", student: str = "alice", **fields: Any) -> CaseResult:
    """A result with the fields every case has filled in, and ``fields`` on top."""
    values: dict[str, Any] = {
        "item_id": item_id, "case_id": item_id.split("[")[0], "spec": spec,
        "spec_version": "1.0.0" if spec == "pipe" else "2.1.0", "title": f"{item_id} behaves",
        "submission": student, "outcome": outcome, "weight": 1.0, "duration": 0.25, "isolation": ISOLATION,
    }
    values.update(fields)
    return CaseResult(**values)


def alice_results() -> list[CaseResult]:
    """One case per outcome in ``pipe``, and one per visibility in ``shm``."""
    return [
        case("PIPE-DIR1", Outcome.PASS, title="make_pipe returns the read end first", tags=("basics",)),
        case("PIPE-EOF1", Outcome.FAIL, weight=2.0, step=3, location="specs/pipe.yaml:120:7",
             title="read_all waits for <every> write end | not just the first & *one*",
             message="read_all returned before the second writer closed its end",
             expected="b'hello world'", observed="b'hello'\n```not a fence```",
             hint="end-of-file comes only once every write end is closed, in every process",
             references=("man:pipe(7)", "PIPE-EOF-01"),
             transcript=("parent: make_pipe() -> (3, 4)", "child: write_all(4, b' world')"),
             output="\x1b[31mdebug: got 5 bytes\x1b[0m\n<script>alert(1)</script>\nNUL here:\x00\n# not a heading"),
        case("PIPE-EXACT1", Outcome.TIMEOUT, message="read_exact did not return within 5 s",
             diagnosis="pid 2 (subject): blocked in read(3) on pipe:[1234]\npid 3 (peer): exited 0",
             transcript=("parent: read_exact(3, 10)",), hint="- count what you have read so far"),
        case("PIPE-FORK1", Outcome.CRASH, signal="SIGSEGV", message="the child was killed by SIGSEGV",
             diagnosis="pid 2 (subject): killed by SIGSEGV"),
        case("PIPE-DUP5", Outcome.LEAK, message="2 pipe descriptors were still open after close()",
             observed="fd 5 -> pipe:[77]\nfd 6 -> pipe:[77]", hint="close both ends in both processes"),
        case("PIPE-DUP6", Outcome.SKIPPED, depends_on=("PIPE-DUP5",),
             message="skipped: it builds on PIPE-DUP5, which did not pass; fix that first"),
        case("PIPE-ATOM1", Outcome.FLAKY, message="differs between runs (2× pass, 1× fail); first failure: interleaved"),
        case("PIPE-BIG1[1m]", Outcome.HARNESS_ERROR, message="the reference peer crashed: BrokenPipeError in /grader/x.py"),
        case("SHM-H1", Outcome.FAIL, spec="shm", visibility="hidden", title="secret: detaches twice",
             message="secret expected value 42", expected="42", observed="41", hint="secret hint"),
        case("SHM-H2", Outcome.PASS, spec="shm", visibility="hidden", title="secret: creates with 0600"),
        case("SHM-D1", Outcome.FAIL, spec="shm", visibility="after_due_date", weight=1.5,
             message="the segment was not removed", hint="IPC_RMID when the last user detaches"),
        case("SHM-P1", Outcome.PASS, spec="shm", visibility="after_published", weight=0.5),
        case("SHM-Z1", Outcome.FAIL, spec="shm", weight=0.0, title="style check (no points)",
             message="the module prints at import time"),
    ]


def for_student(results: list[CaseResult], student: str, passed: set[str]) -> list[CaseResult]:
    """Another student's results for the same cases: ``passed`` items pass, the rest keep their outcome."""
    out = []
    for result in results:
        outcome = Outcome.PASS if result.item_id in passed else result.outcome
        message = "" if outcome is Outcome.PASS else result.message
        out.append(replace(result, submission=student, outcome=outcome, message=message))
    return out


def classroom() -> list[SubmissionResult]:
    """Three students: alice (every outcome), bob (nearly all passed), zoë (a non-ASCII name)."""
    alice = alice_results()
    everything = {r.item_id for r in alice if r.outcome is not Outcome.HARNESS_ERROR}
    bob = for_student(alice, "bob", everything - {"SHM-H1"})
    zoe = for_student(alice, "zoë", {"PIPE-DIR1", "PIPE-EOF1", "SHM-P1"})
    return [SubmissionResult(submission=name, results=tuple(sorted(rs, key=lambda r: (r.spec, r.item_id))),
                             isolation=ISOLATION)
            for name, rs in (("alice", alice), ("bob", bob), ("zoë", zoe))]


def alice() -> SubmissionResult:
    """Alice's submission alone."""
    return classroom()[0]
