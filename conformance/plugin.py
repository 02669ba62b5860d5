"""The pytest plugin: specs become items, one per (submission, case, variant).

Loaded explicitly (``-p conformance.plugin``) by the grader, which runs pytest with its own
ini file, plugin autoload disabled and ``--noconftest``, so nothing in a submission folder
is ever collected or imported by pytest itself. Each item asks its worker's
:class:`~conformance.runner.orchestrator.CaseRunner` to run the case in a box; the result
travels to the controller as JSON in ``user_properties`` (how xdist ships reports), and the
controller writes the reports when the session ends.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.grading.cache import ResultCache, folder_digest
from conformance.grading.cache import key as cache_key
from conformance.grading.result import CaseResult, Outcome
from conformance.progress import ProgressBar
from conformance.runner.orchestrator import CaseRunner, Submission
from conformance.sandbox import preflight, protect_grader
from conformance.spec import SpecError
from conformance.spec.loader import parse_spec
from conformance.spec.model import Case, CaseError, Spec, Variant

_RESULT_KEY = "conformance_result"
_CACHED_KEY = "conformance_cached"
runner_key = pytest.StashKey[CaseRunner]()
collector_key = pytest.StashKey["ResultCollector"]()
isolation_key = pytest.StashKey[preflight.Isolation]()
digests_key = pytest.StashKey[dict[Path, str]]()

#: The repository's own reference implementation (used when --reference is not given).
DEFAULT_REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "IPC conformance grading")
    group.addoption("--submission", action="append", default=[], metavar="DIR",
                    help="implementation folder to grade (repeatable)")
    group.addoption("--reference", default=str(DEFAULT_REFERENCE), metavar="DIR",
                    help="folder of the reference implementation (trusted peers)")
    group.addoption("--timeout-multiplier", type=float, default=1.0, metavar="X",
                    help="scale every case's timeout (slow machines)")
    group.addoption("--visible-only", action="store_true", help="only run cases visible to students")
    group.addoption("--repeat", type=int, default=1, metavar="N",
                    help="run every case N times (items get an @k suffix); for stability and flake checks")
    group.addoption("--seed", type=int, default=None, metavar="N",
                    help="seed for every property step (default: each step's own, from the spec)")
    group.addoption("--cache-dir", default=None, metavar="DIR",
                    help="reuse and store case results here (incremental, resumable grading)")
    group.addoption("--progress", action="store_true", help="a one-line progress bar instead of dots")
    group.addoption("--results-file", default=None, metavar="FILE",
                    help="write every case result as JSON lines to FILE (controller only)")


def pytest_configure(config: pytest.Config) -> None:
    protect_grader()
    if not hasattr(config, "workerinput"):
        collector = ResultCollector(config)
        config.stash[collector_key] = collector
        config.pluginmanager.register(collector, "conformance-results")
        if config.getoption("progress"):
            config.pluginmanager.register(ProgressBar(config), "conformance-progress")


def pytest_unconfigure(config: pytest.Config) -> None:
    runner = config.stash.get(runner_key, None)
    if runner is not None:
        runner.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in (".yaml", ".yml") and parent.config.getoption("submission"):
        return SpecFile.from_parent(parent, path=file_path)
    return None


def pytest_report_header(config: pytest.Config) -> str:
    return f"conformance: {_isolation(config).describe()}"


def _isolation(config: pytest.Config) -> preflight.Isolation:
    if isolation_key not in config.stash:
        config.stash[isolation_key] = preflight.detect()
    return config.stash[isolation_key]


def _cache(config: pytest.Config) -> ResultCache | None:
    folder = config.getoption("cache_dir")
    return ResultCache(Path(folder)) if folder else None


def _digest(config: pytest.Config, folder: Path) -> str:
    """Folder digests, computed once per process (a class has many items per submission)."""
    digests = config.stash.setdefault(digests_key, {})
    if folder not in digests:
        digests[folder] = folder_digest(folder.resolve())
    return digests[folder]


def _hidden_folders(config: pytest.Config) -> tuple[str, ...]:
    """What no box may see: the root, the folders of the specs given, the result cache."""
    specs = [str(Path(arg.split("::")[0]).resolve().parent) for arg in config.args]
    cache = config.getoption("cache_dir")
    return (str(config.rootpath), *specs, *([cache] if cache else []))


def _runner(config: pytest.Config) -> CaseRunner:
    if runner_key not in config.stash:
        config.stash[runner_key] = CaseRunner(
            isolation=_isolation(config),
            reference=Path(config.getoption("reference")).resolve(),
            timeout_multiplier=config.getoption("timeout_multiplier"),
            seed=config.getoption("seed"),
            hidden=_hidden_folders(config),
        )
    return config.stash[runner_key]


class SpecFile(pytest.File):
    """A spec file: yields one item per submission × case × variant."""

    def collect(self) -> Iterator[pytest.Item]:
        submissions = [Path(p).resolve() for p in self.config.getoption("submission")]
        try:
            spec = parse_spec(self.path.read_bytes(), _display_path(self.config, self.path))
        except SpecError as exc:
            for folder in submissions:
                yield BrokenSpecItem.from_parent(self, name=f"{folder.name}::{self.path.name}", error=str(exc))
            return
        visible_only = self.config.getoption("visible_only")
        repeat = max(1, self.config.getoption("repeat"))
        for folder in submissions:
            submission = Submission(name=folder.name, path=folder)
            for case in spec.cases:
                if visible_only and case.visibility != "visible":
                    continue
                for variant in case.variants or (None,):
                    suffix = f"[{variant.name}]" if variant else ""
                    for round_ in range(repeat):
                        again = f"@{round_}" if repeat > 1 else ""
                        yield CaseItem.from_parent(self, name=f"{folder.name}::{case.id}{suffix}{again}", spec=spec,
                                                   case=case, variant=variant, submission=submission)
            for broken in spec.broken:
                yield BrokenSpecItem.from_parent(self, name=f"{folder.name}::{broken.id}", error=_broken_text(broken))


def _broken_text(broken: CaseError) -> str:
    return f"{broken.location}: case {broken.id} is malformed: {broken.message}"


def _display_path(config: pytest.Config, path: Path) -> str:
    """How a spec file is named in results: relative to the root, never a machine path."""
    try:
        return str(path.relative_to(config.rootpath))
    except ValueError:
        return f"{path.parent.name}/{path.name}"


class CaseFailure(Exception):
    """Raised by an item whose case did not pass; carries the result for the report."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.message)
        self.result = result


class CaseItem(pytest.Item):
    """One case of one spec, run against one submission (and one variant)."""

    def __init__(self, *, spec: Spec, case: Case, variant: Variant | None, submission: Submission,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec, self.case, self.variant, self.submission = spec, case, variant, submission
        # Tags and the spec name work with -k, without registering them as markers.
        self.extra_keyword_matches.update({*case.tags, spec.name})

    def runtest(self) -> None:
        cache, item_key = _cache(self.config), self._cache_key()
        result = cache.get(item_key) if cache else None
        if result is not None:
            self.user_properties.append((_CACHED_KEY, "1"))
        else:
            result = _runner(self.config).run(self.spec, self.case, self.variant, self.submission)
            if cache:
                cache.put(item_key, result)
        self.user_properties.append((_RESULT_KEY, json.dumps(result.to_json())))
        if not result.passed:
            raise CaseFailure(result)

    def _cache_key(self) -> str:
        config = self.config
        return cache_key(self.spec.digest, self.case.id, self.variant.name if self.variant else "", self.name,
                         _digest(config, self.submission.path), _digest(config, Path(config.getoption("reference"))),
                         _isolation(config).level, str(config.getoption("timeout_multiplier")),
                         str(config.getoption("seed")))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CaseFailure):
            return format_failure(excinfo.value.result)
        return super().repr_failure(excinfo)  # a bug in the grader: show the full traceback

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.location.line - 1, f"{self.submission.name}::{self.case.id} {self.case.title}"


class MalformedSpec(Exception):
    """A spec or case could not be loaded (the spec author's fault, not the student's)."""


class BrokenSpecItem(pytest.Item):
    """A spec (or one case of it) that could not be loaded: one failing item, not a crash."""

    def __init__(self, *, error: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise MalformedSpec(self.error)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return f"malformed spec (not the submission's fault):\n{self.error}"

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, self.name


def format_failure(result: CaseResult) -> str:
    """The student-facing failure text: where, what, expected vs observed, hint, diagnosis."""
    lines = [f"{result.outcome.value.upper()}: {result.item_id} — {result.title}"]
    if result.step:
        lines.append(f"  at step {result.step} ({result.location})")
    lines.append(f"  {result.message}")
    if result.expected:
        lines.append(f"  expected: {result.expected}")
    if result.observed:
        lines.append(f"  observed: {result.observed}")
    if result.diagnosis:
        lines.append("  what the processes were doing:")
        lines.extend("    " + line for line in result.diagnosis.splitlines())
    if result.hint:
        lines.append(f"  hint: {result.hint}")
    if result.references:
        lines.append(f"  see: {', '.join(result.references)}")
    if result.output:
        lines.append("  your program printed (last lines):")
        lines.extend("    | " + line for line in result.output.splitlines()[-10:])
    return "\n".join(lines)


class ResultCollector:
    """Gathers case results on the controller and writes them when the session ends.

    Registered only on the controller (xdist ships each worker's ``user_properties`` with
    its reports), and kept in ``config.stash`` rather than a module global.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: list[CaseResult] = []
        #: How many results came from the result cache instead of a box.
        self.cached = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for key, value in report.user_properties:
            if key == _RESULT_KEY:
                self.results.append(CaseResult.from_json(json.loads(str(value))))
            elif key == _CACHED_KEY:
                self.cached += 1

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        target = self.config.getoption("results_file")
        if not target:
            return
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        tmp = f"{target}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(json.dumps({"cached": self.cached}) + "\n")
            for result in self.results:
                handle.write(json.dumps(result.to_json()) + "\n")
        os.replace(tmp, target)  # atomic: a reader never sees half a file


__all__ = ["CaseItem", "SpecFile", "ResultCollector", "format_failure", "Outcome"]
