"""Reports: one emitter per output format, each only reading the result model (``grading.result``).

* ``gradescope``: Gradescope's ``results.json`` per submission, and the points each case is worth.
* ``gradescope.schema.json``: the JSON Schema of Gradescope's documented results format.
* ``junit``: JUnit XML (xunit2, as pytest writes it) per submission, for CI.
* ``student``: the per-student feedback report, in Markdown and in self-contained HTML.
* ``gradebook``: the class gradebook CSV: points per mechanism, total, maximum, isolation.
* ``summary``: the class summary HTML for the instructor: pass rates, lowest first; harness errors.
* ``table``: the per-case table ``grade`` prints.
* ``autograder_zip``: builds the Gradescope autograder zip, and runs it inside Gradescope.

Public: :func:`write_all`, which writes every report of a graded class; for one format,
``gradescope.results_json``, ``junit.render``, ``student.markdown`` and ``student.html_page``
(per submission), ``gradebook.render`` and ``summary.render`` (per class).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from conformance.grading.result import SubmissionResult
from conformance.report import gradebook, gradescope, junit, student, summary

__all__ = ["write_all"]


def write_all(submissions: list[SubmissionResult], out: Path, *, execution_time: float,
              points: float | None = None) -> list[Path]:
    """Write every report of a graded class under ``out``; return the files written.

    Per student, ``out/<student>/``: ``results.json`` (Gradescope), ``junit.xml``,
    ``report.md`` and ``report.html``; for the class, ``out/gradebook.csv`` and
    ``out/summary.html``.

    Every report is rendered before the first one is written, so an emitter that fails
    leaves the previous reports in place rather than a mix of old and new; each file is
    then replaced atomically (a temporary file in the same folder, then ``os.replace``), so
    a reader never sees half a file.

    Args:
        execution_time: seconds the whole grading run took; each results.json gets an
            equal share, as Gradescope times one submission.
        points: the assignment's total on Gradescope; every report then shows the weights
            scaled to it (see ``gradescope.scale``). ``None`` uses the spec weights as points.

    Raises:
        ValueError: two submissions share a name, or a name is not a plain folder name.
    """
    from conformance.plugin import format_failure  # here, not at the top: plugin imports the engine

    _check_names(submissions)
    share = execution_time / max(len(submissions), 1)
    files: list[tuple[Path, str]] = []
    for submission in submissions:
        folder = out / submission.submission
        document = gradescope.results_json(submission, share, format_failure, points=points)
        files += [(folder / "results.json", gradescope.dumps(document)),
                  (folder / "junit.xml", junit.render(submission, format_failure, points=points)),
                  (folder / "report.md", student.markdown(submission, points=points)),
                  (folder / "report.html", student.html_page(submission, points=points))]
    files += [(out / "gradebook.csv", gradebook.render(submissions, points=points)),
              (out / "summary.html", summary.render(submissions))]
    for path, text in files:
        _write_atomic(path, text)
    return [path for path, _ in files]


def _check_names(submissions: list[SubmissionResult]) -> None:
    """Each submission name must be one plain folder name, used once: it becomes ``out/<name>/``."""
    seen: set[str] = set()
    for submission in submissions:
        name = submission.submission
        if name in ("", ".", "..") or any(c in name for c in "/\\\0"):
            raise ValueError(f"submission name {name!r} is not a plain folder name; it would be written outside out/")
        if name in seen:
            raise ValueError(f"two submissions are named {name!r}; their reports would overwrite each other")
        seen.add(name)


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8, exactly (no newline translation), replacing ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; reports are meant to be read and handed out
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
