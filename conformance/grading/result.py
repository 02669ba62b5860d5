"""The result model: what happened in one case, in a form every report reads.

Results cross from xdist workers to the controller as the JSON of :meth:`CaseResult.to_json`
(never as pickled objects), and every emitter in ``report/`` only reads these values.
Outcome, signal, errno and message are separate typed fields: no verdict is ever parsed
back out of text.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, fields
from typing import Any


class Outcome(enum.StrEnum):
    """How a case ended. Only the first five are the student's doing."""

    PASS = "pass"
    FAIL = "fail"
    TIMEOUT = "timeout"
    #: A process of the implementation was killed by a signal (``CaseResult.signal``).
    CRASH = "crash"
    #: Processes, IPC objects, descriptors or files were left behind.
    LEAK = "leak"
    #: Not run because a case it depends on did not pass.
    SKIPPED = "skipped"
    #: The grader failed; never costs the student points, always reported to the instructor.
    HARNESS_ERROR = "harness_error"
    #: The outcome differed across repeats.
    FLAKY = "flaky"

    @property
    def student_fault(self) -> bool:
        return self in (Outcome.FAIL, Outcome.TIMEOUT, Outcome.CRASH, Outcome.LEAK)


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseResult:
    """The outcome of one (submission, case, variant) item, with the feedback for it."""

    #: ``CASE-ID`` or ``CASE-ID[variant]``.
    item_id: str
    case_id: str
    spec: str
    spec_version: str
    title: str
    submission: str
    outcome: Outcome
    weight: float
    visibility: str = "visible"
    #: One student-facing sentence: what went wrong (empty on a pass).
    message: str = ""
    #: The step that diverged, 1-based, and where it is written.
    step: int | None = None
    location: str = ""
    expected: str = ""
    observed: str = ""
    hint: str = ""
    references: tuple[str, ...] = ()
    #: For hangs and crashes: what each process was doing, read from the kernel.
    diagnosis: str = ""
    #: What happened, step by step, in student language (capped).
    transcript: tuple[str, ...] = ()
    #: The beginning of what the implementation printed (capped).
    output: str = ""
    #: The signal that killed a process (``SIGSEGV``...), for crashes.
    signal: str = ""
    #: Seconds of wall clock the case took, box creation and teardown included.
    duration: float = 0.0
    #: The isolation level the case ran under (``preflight.Isolation.describe``).
    isolation: str = ""
    tags: tuple[str, ...] = ()
    #: Case IDs that must pass for this one to count (else it is skipped, not failed).
    depends_on: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        data["references"] = list(self.references)
        data["transcript"] = list(self.transcript)
        data["tags"] = list(self.tags)
        data["depends_on"] = list(self.depends_on)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseResult:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["outcome"] = Outcome(values["outcome"])
        for key in ("references", "transcript", "tags", "depends_on"):
            values[key] = tuple(values.get(key, ()))
        return cls(**values)


@dataclass(frozen=True, kw_only=True, slots=True)
class SubmissionResult:
    """Every case result of one submission, plus what the run was."""

    submission: str
    results: tuple[CaseResult, ...] = field(default_factory=tuple)
    isolation: str = ""

    @property
    def earned(self) -> float:
        """Weight of the passed cases (harness errors are left out of both sides)."""
        return sum(r.weight for r in self.results if r.passed)

    @property
    def possible(self) -> float:
        return sum(r.weight for r in self.results if r.outcome is not Outcome.HARNESS_ERROR)
