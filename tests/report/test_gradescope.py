"""Gradescope's results.json: the schema, status against score, points, visibility."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.grading.result import Outcome, SubmissionResult
from conformance.plugin import format_failure
from conformance.report import gradescope
from tests.report.sample import alice, case, classroom
from tests.report.validate import gradescope_errors


def _tests_by_id(document: dict[str, object]) -> dict[str, dict[str, object]]:
    tests = document["tests"]
    assert isinstance(tests, list)
    return {str(t["name"]).split(":")[0].split(" ")[0]: t for t in tests}


@pytest.mark.parametrize("points", [None, 100.0, 7.0, 33.33, 1.0])
def test_every_document_validates_and_keeps_the_rules(points: float | None) -> None:
    """Every student's document validates against the schema, status agrees with score, and max_score adds up to points."""
    for submission in classroom():
        document = gradescope.results_json(submission, 1.5, format_failure, points=points)
        assert gradescope_errors(document, points) == []


def test_public_signature_still_works_positionally(tmp_path: Path) -> None:
    """results_json(submission, execution_time, failure_text) and write(path, document) keep working, atomically."""
    document = gradescope.results_json(alice(), 2.0, format_failure)
    target = tmp_path / "deep" / "results.json"
    gradescope.write(target, document)
    assert json.loads(target.read_text(encoding="utf-8")) == document
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]


def test_execution_time_is_a_number() -> None:
    """execution_time is written as a number of seconds, not gradescope-utils' string."""
    assert gradescope.results_json(alice(), 2.34567, format_failure)["execution_time"] == 2.346


def test_scale_adds_up_exactly_with_largest_remainders() -> None:
    """Three equal weights share 100 points as 33.34/33.33/33.33, the extra hundredth to the first."""
    assert gradescope.scale([1, 1, 1], 100) == [33.34, 33.33, 33.33]
    assert gradescope.scale([2, 1, 0], 10) == [6.67, 3.33, 0.0]
    assert gradescope.scale([0, 0], 10) == [0.0, 0.0]


@pytest.mark.parametrize("points", [-1.0, 10.005])
def test_scale_rejects_points_it_cannot_honour(points: float) -> None:
    """Negative points, or points finer than hundredths, are refused with a message naming them."""
    with pytest.raises(ValueError, match="points"):
        gradescope.scale([1.0], points)


def test_points_scale_the_weights_and_exclude_harness_errors() -> None:
    """With points, max scores are proportional to weights and a harness error takes no share."""
    tests = _tests_by_id(gradescope.results_json(alice(), 1.0, format_failure, points=24.0))
    assert "PIPE-BIG1[1m]" not in tests
    assert tests["PIPE-EOF1"]["max_score"] == 4.0 and tests["PIPE-DIR1"]["max_score"] == 2.0
    assert tests["SHM-D1"]["max_score"] == 3.0


def test_rescale_of_a_written_document_equals_scaling_at_once() -> None:
    """Rescaling a written document (run_autograder's path) gives the same document as points= does."""
    plain = gradescope.results_json(alice(), 1.0, format_failure)
    assert gradescope.rescale(plain, 50.0) == gradescope.results_json(alice(), 1.0, format_failure, points=50.0)


def test_zero_weight_case_is_an_informational_check() -> None:
    """A failed case worth nothing has a status and no score, so it never reads as passed."""
    test = _tests_by_id(gradescope.results_json(alice(), 1.0, format_failure))["SHM-Z1"]
    assert test["status"] == "failed" and "score" not in test and "max_score" not in test


def test_hidden_case_shows_only_its_id_and_criterion() -> None:
    """A hidden case's name, output and tags carry its ID and mechanism, nothing of what it checks."""
    test = _tests_by_id(gradescope.results_json(alice(), 1.0, format_failure))["SHM-H1"]
    assert test["name"] == "SHM-H1 (shm, hidden)" and test["tags"] == ["shm"] and test["visibility"] == "hidden"
    assert "secret" not in json.dumps(test)


def test_the_four_visibilities_pass_through_and_unknown_fails_closed() -> None:
    """visible, hidden, after_due_date and after_published are kept; an unknown value becomes hidden."""
    results = [case(f"V-{v}", Outcome.FAIL, visibility=v, title="secret") for v in gradescope.VISIBILITIES + ("bogus",)]
    document = gradescope.results_json(SubmissionResult(submission="alice", results=tuple(results)), 1.0, format_failure)
    assert [t["visibility"] for t in document["tests"]] == [*gradescope.VISIBILITIES, "hidden"]
    assert "secret" not in document["tests"][-1]["name"]
    assert gradescope_errors(document) == []


def test_top_level_output_explains_what_is_not_in_the_score() -> None:
    """The submission's output names the isolation, spec versions, ungraded and hidden cases."""
    output = gradescope.results_json(alice(), 1.0, format_failure)["output"]
    assert "full isolation" in output and "pipe 1.0.0" in output
    assert "1 case(s) could not be graded" in output and "2 hidden case(s)" in output


def test_passing_everything_scores_the_points_exactly() -> None:
    """A submission passing every case scores exactly the assignment's points."""
    everything = SubmissionResult(submission="bob", results=tuple(replace(r, outcome=Outcome.PASS) for r in alice().results))
    document = gradescope.results_json(everything, 1.0, format_failure, points=33.33)
    assert document["score"] == 33.33 and all(t["status"] == "passed" for t in document["tests"])


@pytest.mark.parametrize("broken", [{"execution_time": "1.00"}, {"visibility": "students"}, {"output_format": "markdown"},
                                    {"tests": [{"name": "x", "status": "ok"}]}, {"scores": 1}])
def test_schema_rejects_what_gradescope_does_not_document(broken: dict[str, object]) -> None:
    """The schema is not vacuous: a string time, an unknown enum value or an unknown key is an error."""
    assert gradescope_errors({"score": 1.0, **broken})


@given(st.lists(st.floats(min_value=0, max_value=50, allow_nan=False), min_size=1, max_size=40),
       st.integers(min_value=0, max_value=100_000))
def test_scale_is_exact_and_within_a_hundredth_of_proportional(weights: list[float], hundredths: int) -> None:
    """For any weights and points, the shares add up to the points exactly, each within 0.01 of its exact share."""
    points = hundredths / 100
    shares = gradescope.scale(weights, points)
    if sum(weights) > 0:
        assert sum(round(share * 100) for share in shares) == hundredths
        assert all(abs(share - w / sum(weights) * points) < 0.01 + 1e-9 for share, w in zip(shares, weights, strict=True))
