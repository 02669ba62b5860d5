"""The per-case table printed at the end of ``grade``."""

from __future__ import annotations

from conformance.grading.result import SubmissionResult
from conformance.grading.score import case_points


def render(submission: SubmissionResult) -> str:
    """One line per case (outcome, points, ID, title, first line of the message), then the total."""
    width = max((len(r.item_id) for r in submission.results), default=10)
    lines = [f"== {submission.submission} =="]
    for r in submission.results:
        detail = f"  {r.message.splitlines()[0][:100]}" if r.message and not r.passed else ""
        lines.append(f"  {r.outcome.value:<13} {case_points(r):>5g}/{r.weight:<4g} {r.item_id:<{width}}  {r.title[:60]}{detail}")
    lines.append(f"  total: {submission.earned:g} / {submission.possible:g}")
    return "\n".join(lines)
