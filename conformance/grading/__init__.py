"""Grading: from case results to grades.

* ``result``: the result model (``CaseResult``, ``SubmissionResult``, ``Outcome``), with
  its own JSON round trip; every report reads only these.
* ``score``: dependencies (skipped, not failed), repeats (flaky), grouping and points.
* ``cache``: results stored by content key, for incremental and resumable runs.
"""
