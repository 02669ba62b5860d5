"""The command line: ``python -m conformance grade ...``.

Exit status (as isolate documents its own): 0 every case passed; 1 some case did not pass
(the student's outcome, not an error); 2 the grader itself failed or was misused.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from conformance.grading.result import CaseResult, Outcome
from conformance.grading.score import apply_dependencies, by_submission, merge_repeats
from conformance.report import table, write_all


def _project_root() -> Path:
    """The folder with specs/, reference/ and examples/: next to the engine in a checkout,
    else the current folder (the engine installed into site-packages)."""
    beside = Path(__file__).resolve().parents[1]
    return beside if (beside / "specs").is_dir() else Path.cwd()


ROOT = _project_root()
DEFAULT_SPECS = ROOT / "specs"
DEFAULT_CLASS = ROOT / "examples"
GRADER_INI = Path(__file__).resolve().parent / "grader.ini"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="conformance", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade submissions against the specs",
                                description="Grade one submission folder, or a folder of them. "
                                            "Exit 0: all passed; 1: some case did not pass; 2: grader error.")
    grade.add_argument("submissions", nargs="*", type=Path,
                       help="submission folder(s), or a folder of submission folders (default: the sample class)")
    grade.add_argument("--out", type=Path, default=Path("grades"), help="where reports go (default: grades/)")
    grade.add_argument("--specs", nargs="+", type=Path, default=[DEFAULT_SPECS], help="spec files or folders")
    grade.add_argument("-n", "--workers", default="auto", help="parallel workers (number or 'auto'; 0 = none)")
    grade.add_argument("-k", dest="keyword", default=None, help="only cases matching this pytest -k expression")
    grade.add_argument("--visible-only", action="store_true", help="only cases students can see")
    grade.add_argument("--repeat", type=int, default=1, help="run every case this many times")
    grade.add_argument("--seed", type=int, default=None, help="seed for every property step (default: the spec's)")
    grade.add_argument("--points", type=float, default=None,
                       help="the assignment's total points: weights are scaled so every report adds up to it")
    grade.add_argument("--no-cache", action="store_true",
                       help="grade everything again (default: reuse results of unchanged items from OUT/.cache)")
    grade.add_argument("--timeout-multiplier", type=float, default=1.0, help="scale every case timeout")
    grade.add_argument("--reference", type=Path, default=ROOT / "reference", help="reference implementation")
    grade.add_argument("-v", "--verbose", action="store_true", help="show pytest's failure details too")
    calibrate = commands.add_parser("calibrate", help="time the reference under full load against every timeout",
                                    description="Run the reference implementation on every case under full parallel "
                                                "load and report each case's slowest time next to its timeout.")
    calibrate.add_argument("--specs", nargs="+", type=Path, default=[DEFAULT_SPECS], help="spec files or folders")
    calibrate.add_argument("-n", "--workers", default="auto", help="parallel workers (default: auto)")
    calibrate.add_argument("--repeat", type=int, default=3, help="runs per case (the slowest counts)")
    calibrate.add_argument("--timeout-multiplier", type=float, default=1.0, help="the multiplier to check")
    calibrate.add_argument("-k", dest="keyword", default=None, help="only cases matching this -k expression")
    args = parser.parse_args(argv)
    if args.command == "calibrate":
        return run_calibrate(args)
    return run_grade(args)


def submission_folders(paths: list[Path]) -> list[Path]:
    """Expand each path: a folder holding .py files is one submission; else its subfolders are."""
    folders: list[Path] = []
    for path in paths or [DEFAULT_CLASS]:
        if not path.is_dir():
            raise SystemExit(f"conformance: {path} is not a folder")
        if any(path.glob("*.py")):
            folders.append(path.resolve())
        else:
            folders.extend(sorted(p.resolve() for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")))
    return folders


def run_grade(args: argparse.Namespace) -> int:
    import pytest

    folders = submission_folders(args.submissions)
    if not folders:
        print("conformance: no submissions found", file=sys.stderr)
        return 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="conformance-") as scratch:
        results_file = Path(scratch) / "results.jsonl"
        staged = stage(folders, Path(scratch) / "submissions")
        code = pytest.main(pytest_args(args, staged, results_file))
        results, cached = _read_results(results_file)
    elapsed = time.monotonic() - started
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not results:
        print(f"conformance: the grader failed (pytest exit status {int(code)})", file=sys.stderr)
        return 2
    runs = len(results)
    return report(apply_dependencies(merge_repeats(results)), args.out, elapsed, runs=runs, cached=cached,
                  points=args.points)


def stage(folders: list[Path], into: Path) -> list[Path]:
    """Copy each submission (links resolved) and grade the copies.

    A snapshot taken before the first case: a folder that changes while the class is being
    graded cannot give two cases two different versions of a submission, and links are
    resolved on the host, where they point (the sample class links its files to the
    reference, the template and the seeded bugs rather than copying them).
    """
    staged = []
    for folder in folders:
        target = into / folder.name
        shutil.copytree(folder, target, symlinks=False, ignore=_not_source)
        staged.append(target)
    return staged


def _not_source(folder: str, names: list[str]) -> set[str]:
    """What staging leaves out: caches, hidden files, and anything but files and folders
    (a FIFO or socket in a submission would block or fail the copy)."""
    skipped = set()
    for name in names:
        path = os.path.join(folder, name)
        if name == "__pycache__" or name.startswith(".") or not (os.path.isfile(path) or os.path.isdir(path)):
            skipped.add(name)
    return skipped


def run_calibrate(args: argparse.Namespace) -> int:
    """Time the reference on every case under load; flag cases too close to their timeout."""
    import pytest

    reference = (ROOT / "reference").resolve()
    args.reference, args.visible_only, args.verbose, args.no_cache = reference, False, False, True
    args.out = Path(tempfile.gettempdir())
    with tempfile.TemporaryDirectory(prefix="conformance-") as scratch:
        results_file = Path(scratch) / "results.jsonl"
        pytest.main(pytest_args(args, [reference], results_file))
        results, _ = _read_results(results_file)
    if not results:
        return 2
    from conformance.spec import load_specs

    timeouts = {c.id: c.timeout * args.timeout_multiplier for s in load_specs(args.specs) for c in s.cases}
    slowest: dict[str, CaseResult] = {}
    for result in results:
        if result.item_id not in slowest or result.duration > slowest[result.item_id].duration:
            slowest[result.item_id] = result
    print(f"{'case':<28} {'slowest s':>9} {'timeout s':>9} {'share':>6}  outcome")
    tight = 0
    for item, result in sorted(slowest.items(), key=lambda kv: -kv[1].duration / timeouts.get(kv[1].case_id, 1)):
        share = result.duration / timeouts.get(result.case_id, 1)
        tight += share > 0.5 or not result.passed
        flag = "  <- over half the timeout" if share > 0.5 else ""
        print(f"{item:<28} {result.duration:>9.3f} {timeouts.get(result.case_id, 0):>9.1f} {share:>6.0%}  "
              f"{result.outcome.value}{flag}")
    print(f"\n{len(slowest)} item(s), {len(results)} run(s); {tight} need attention "
          "(raise the case timeout or use --timeout-multiplier)")
    return 1 if tight else 0


def pytest_args(args: argparse.Namespace, folders: list[Path], results_file: Path) -> list[str]:
    """pytest's command line: our own ini, our plugin only, never a submission's conftest."""
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    argv = ["-c", str(GRADER_INI), "--rootdir", str(ROOT), "-p", "conformance.plugin", "--noconftest",
            "-p", "no:cacheprovider", "--results-file", str(results_file), "--reference", str(args.reference),
            "--timeout-multiplier", str(args.timeout_multiplier)]
    argv += ["-q", "--no-header"] + ([] if args.verbose else ["--tb=no", "-rN", "-p", "no:warnings", "--progress"])
    if str(args.workers) not in ("0", "1"):
        argv += ["-p", "xdist.plugin", "-n", str(args.workers), "--max-worker-restart=0"]
    if args.keyword:
        argv += ["-k", args.keyword]
    if args.visible_only:
        argv.append("--visible-only")
    if not args.no_cache:
        argv += ["--cache-dir", str((args.out / ".cache").resolve())]
    if args.repeat > 1:
        argv += ["--repeat", str(args.repeat)]
    if getattr(args, "seed", None) is not None:
        argv += ["--seed", str(args.seed)]
    for folder in folders:
        argv += ["--submission", str(folder)]
    return argv + [str(p.resolve()) for p in args.specs]


def _read_results(path: Path) -> tuple[list[CaseResult], int]:
    """The results the plugin wrote, and how many of them came from the cache."""
    if not path.exists():
        return [], 0
    with open(path, encoding="utf-8") as handle:
        header, *lines = [json.loads(line) for line in handle if line.strip()]
    return [CaseResult.from_json(line) for line in lines], int(header.get("cached", 0))


def report(results: list[CaseResult], out: Path, elapsed: float, *, runs: int, cached: int,
           points: float | None = None) -> int:
    """Print the tables, write every report (``report.write_all``); return the exit status."""
    isolation = results[0].isolation if results else ""
    submissions = by_submission(results, isolation)
    for submission in submissions:
        print(table.render(submission))
    write_all(submissions, out, execution_time=elapsed, points=points)
    fresh = runs - cached
    print(f"\n{len(submissions)} submission(s), {runs} case run(s) in {elapsed:.1f}s "
          f"({runs / max(elapsed, 1e-9):.1f} cases/s; {cached} from the cache, {fresh} run in boxes); "
          f"{isolation}; reports in {out}/ (results.json, junit.xml and report.html per student; "
          "gradebook.csv and summary.html for the class)")
    if any(r.outcome is Outcome.HARNESS_ERROR for r in results):
        print("WARNING: some cases hit a grader error; they were not counted against anyone.", file=sys.stderr)
        return 2
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
