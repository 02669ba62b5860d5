"""Tests for conformance.spec.linter: each rule on its fixture, and the command line."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from conformance.spec import CallStep, Finding, Location, lint, load_spec
from conformance.spec import linter as spec_linter

HERE = Path(__file__).parent
FIXTURES = HERE / "lint_fixtures"
FIXTURE_FILES = sorted(FIXTURES.glob("*.yaml"))
DOCS = HERE.parents[1] / "docs" / "spec-lint.md"


def expected_rules(path: Path) -> list[str]:
    """The rule IDs a fixture announces in its first line (``# expect: SL001, SL007``)."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# expect:\s*(.*)", first)
    assert match, f"{path.name} must start with '# expect: ...'"
    return sorted(rule.strip() for rule in match.group(1).split(",") if rule.strip())


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.stem for p in FIXTURE_FILES])
def test_fixture_yields_exactly_its_rules(path: Path) -> None:
    """Linting a fixture alone yields exactly the rules its first line announces."""
    _, findings = spec_linter.lint_paths([path])
    assert sorted(f.rule for f in findings) == expected_rules(path), "\n".join(map(str, findings))


def test_clean_fixture_exists_and_is_clean() -> None:
    """The clean fixture announces no finding (and the parametrised test holds it to that)."""
    assert expected_rules(FIXTURES / "clean.yaml") == []


def test_every_rule_has_a_fixture_and_docs() -> None:
    """Each rule has a fixture named after it, a line in the module docstring and a docs section."""
    docs = DOCS.read_text(encoding="utf-8")
    module_doc = spec_linter.__doc__ or ""
    for rule in spec_linter.RULES:
        assert any(p.name.startswith(f"{rule}_") for p in FIXTURE_FILES), rule
        assert f"* {rule} " in module_doc, rule
        assert f"## {rule}:" in docs or f"## {rule} (warning):" in docs, rule


def test_fixture_names_match_their_rules() -> None:
    """A fixture named SLnnn_* announces rule SLnnn."""
    for path in FIXTURE_FILES:
        if path.name != "clean.yaml":
            assert path.name[:5] in expected_rules(path), path.name


def test_findings_point_at_the_case() -> None:
    """Findings carry the file, line and column of the case or step concerned."""
    _, findings = spec_linter.lint_paths([FIXTURES / "SL012_undeclared.yaml"])
    (finding,) = findings
    lines = (FIXTURES / "SL012_undeclared.yaml").read_text().splitlines()
    assert lines[finding.location.line - 1].strip().startswith("- actor: parent")
    assert str(finding).startswith(f"{FIXTURES / 'SL012_undeclared.yaml'}:{finding.location.line}:")


def test_duplicate_ids_across_files() -> None:
    """SL001 compares case IDs across every spec given."""
    clean = load_spec(FIXTURES / "clean.yaml")
    other = load_spec(FIXTURES / "SL007_self_report.yaml")
    rules = [f.rule for f in lint([clean, other])]
    assert rules.count("SL001") == 1


def test_superseded_across_files() -> None:
    """SL005 sees a supersedes list in one spec and the active case in another."""
    clean = load_spec(FIXTURES / "clean.yaml")
    old = load_spec(FIXTURES / "SL002_no_references.yaml")
    renamed = dataclasses.replace(old, cases=tuple(dataclasses.replace(c, id="FIX-OLD2") for c in old.cases))
    assert "SL005" in {f.rule for f in lint([clean, renamed])}


def test_self_dependency_is_a_cycle() -> None:
    """A case that depends on itself is reported as a cycle."""
    spec = load_spec(FIXTURES / "SL007_self_report.yaml")
    looped = dataclasses.replace(spec, cases=tuple(dataclasses.replace(c, depends_on=(c.id,)) for c in spec.cases))
    messages = [f.message for f in lint([looped]) if f.rule == "SL006"]
    assert messages == ["depends_on forms a cycle: FIX-A1 -> FIX-A1"]


def test_blocking_save_counts_from_its_await() -> None:
    """SL008 treats a blocking call's save as defined only after its await step."""
    spec = load_spec(FIXTURES / "clean.yaml")
    case = spec.cases[1]
    steps = list(case.steps)
    close = steps[3]  # os:close, before `await: r` ends the blocked read that saves `got`
    assert isinstance(close, CallStep)
    steps[3] = dataclasses.replace(close, args=("$got",))
    broken = dataclasses.replace(spec, cases=(dataclasses.replace(case, steps=tuple(steps)),))
    assert [f.message for f in lint([broken]) if f.rule == "SL008"] == ["$got is used before any step saves it"]


def test_variables_helper() -> None:
    """variables() finds $names in nested data, except inside {str: ...}."""
    data = ["$a.1", {"text": "$b"}, {"str": "$literal"}, {"x": [{"eq": "$c"}]}, "plain"]
    assert list(spec_linter.variables(data)) == ["a", "b", "c"]


def test_finding_is_frozen() -> None:
    """Finding is an immutable value that renders as file:line:col: RULE message."""
    finding = Finding(rule="SL002", severity="error", location=Location(file="f", line=2, column=5), message="m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.rule = "SL003"  # type: ignore[misc]
    assert str(finding) == "f:2:5: SL002 m"


def test_coverage_counts_referenced_ids() -> None:
    """Coverage counts, per catalogue section, the behaviour IDs some case references."""
    rows = spec_linter.coverage([load_spec(FIXTURES / "clean.yaml")])
    pipes = next(row for row in rows if row[0] == "Anonymous pipes and FIFOs / Pipes")
    assert pipes == ("Anonymous pipes and FIFOs / Pipes", 4, 33)
    assert sum(total for _, _, total in rows) == 288
    assert "total" in spec_linter.format_coverage(rows)


# --- command line --------------------------------------------------------------------------


def test_main_clean_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """A clean spec prints nothing on stdout and exits 0."""
    assert spec_linter.main([str(FIXTURES / "clean.yaml")]) == 0
    assert capsys.readouterr().out == ""


def test_main_error_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """An error prints file:line:col: RULE message and exits 1."""
    path = FIXTURES / "SL002_no_references.yaml"
    assert spec_linter.main([str(path)]) == 1
    assert re.match(rf"{re.escape(str(path))}:\d+:\d+: SL002 ", capsys.readouterr().out)


def test_main_warning_fails_only_when_strict() -> None:
    """Warnings exit 0, or 1 with --strict."""
    path = str(FIXTURES / "SL007_self_report.yaml")
    assert spec_linter.main([path]) == 0
    assert spec_linter.main(["--strict", path]) == 1


def test_main_reports_unloadable_file(capsys: pytest.CaptureFixture[str]) -> None:
    """A file that cannot be loaded is an SL013 error with the quoted line."""
    assert spec_linter.main([str(FIXTURES / "SL013_broken_file.yaml")]) == 1
    out = capsys.readouterr().out
    assert "SL013 spec cannot be loaded: version: 1.0" in out
    assert "     3 | version: 1.0" in out


def test_main_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A path that does not exist exits 2."""
    assert spec_linter.main([str(tmp_path / "absent")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_main_directory_and_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    """A directory lints all its specs; --coverage prints the per-section table."""
    assert spec_linter.main(["--coverage", str(HERE / "data")]) == 0
    out = capsys.readouterr().out
    assert "SL007" in out
    assert "Anonymous pipes and FIFOs / Pipes" in out and "total" in out
