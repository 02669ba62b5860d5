"""The Gradescope autograder: building its zip, and grading inside Gradescope's container.

Gradescope's layout (its autograder specification): the zip is unpacked into
``/autograder/source``; ``setup.sh`` runs once, as root, when the image is built;
``run_autograder`` is copied to ``/autograder/run_autograder`` and runs once per
submission, with the student's files in ``/autograder/submission``; only
``/autograder/results/results.json`` is uploaded, and the script's stdout is shown to
instructors alone.

The zip holds ``setup.sh`` and ``run_autograder`` at its top (Gradescope looks for them
there), what ``pip install`` needs to install the engine (``pyproject.toml``,
``README.md``, ``conformance/``), ``specs/``, ``reference/`` and ``autograder.json`` (the
settings chosen when it was built: the assignment's points). Entries are sorted and dated
1980-01-01, so the same tree always builds the same bytes.

Every path is relative to a root given as an argument, never hard-wired to ``/autograder``,
so the tests unpack the zip into a temporary folder laid out the same way and run it there:

* ``run_autograder [ROOT]``: ``ROOT`` defaults to ``$AUTOGRADER_ROOT``, else ``/autograder``;
* ``AUTOGRADER_PYTHON``: the interpreter (default ``ROOT/venv/bin/python``, made by setup.sh);
* ``AUTOGRADER_SPECS``: grade only these specs (comma-separated names such as ``pipe``).

Command line: ``python -m conformance.report.autograder_zip build OUT.zip [--root DIR]
[--specs NAME ...] [--points P]`` and ``... run ROOT``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conformance.report import gradescope

#: Entry date of every zip member: the earliest a zip can carry, so builds are reproducible.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
_SETTINGS = "autograder.json"

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
# It installs a Python >= 3.11, a compiler (sysv_ipc builds from source) and the grader with
# its dependencies into ROOT/venv, which run_autograder uses. Usage: setup.sh [ROOT]
set -euo pipefail
ROOT="${1:-${AUTOGRADER_ROOT:-/autograder}}"
export DEBIAN_FRONTEND=noninteractive

recent() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

PYTHON=""
for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 && recent "$candidate"; then
        PYTHON="$(command -v "$candidate")"
        break
    fi
done
apt-get update
if [ -z "$PYTHON" ]; then
    # Ubuntu 22.04's python3 is 3.10; 3.11 is in its universe repository.
    apt-get install -y --no-install-recommends python3.11 python3.11-venv python3.11-dev build-essential
    PYTHON=/usr/bin/python3.11
else
    version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    apt-get install -y --no-install-recommends "python$version-venv" "python$version-dev" build-essential
fi
"$PYTHON" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --upgrade pip
"$ROOT/venv/bin/python" -m pip install "$ROOT/source"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this once per submission: it grades ROOT/submission into
# ROOT/results/results.json. Usage: run_autograder [ROOT]  (default $AUTOGRADER_ROOT, else /autograder)
#   AUTOGRADER_PYTHON  the interpreter (default ROOT/venv/bin/python, made by setup.sh)
#   AUTOGRADER_SPECS   grade only these specs, comma-separated (default: every spec in the zip)
set -euo pipefail
ROOT="${1:-${AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT/source"
# The engine in source/ comes first, so what runs is exactly what the zip holds.
export PYTHONPATH="$ROOT/source${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" -m conformance.report.autograder_zip run "$ROOT"
"""


# ---------------------------------------------------------------- building the zip


def build(out_zip: Path, root: Path, *, specs: Sequence[str] | None = None, points: float | None = None) -> Path:
    """Build the autograder zip from the repository at ``root``; return its path.

    Args:
        specs: spec names (file stems in ``root/specs``) to include; ``None``: all of them.
        points: the assignment's points on Gradescope; results are scaled to add up to it.

    Raises:
        ValueError: a named spec has no file, or ``points`` is not a multiple of 0.01.
    """
    if points is not None:
        gradescope.scale([1.0], points)  # the same check the grader makes, but now rather than per submission
    members = _engine_files(root) + _spec_files(root / "specs", specs)
    generated = {"setup.sh": SETUP_SH, "run_autograder": RUN_AUTOGRADER,
                 _SETTINGS: json.dumps({"points": points}, indent=2) + "\n"}
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=out_zip.parent, prefix=f".{out_zip.name}.", suffix=".tmp")
    os.close(handle)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in sorted(generated.items()):
                archive.writestr(_entry(name, executable=name != _SETTINGS), text)
            for name, path in sorted(members):
                archive.writestr(_entry(name, executable=False), path.read_bytes())
        os.replace(tmp, out_zip)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_zip


def _engine_files(root: Path) -> list[tuple[str, Path]]:
    """What installs and runs the engine: the package, its build files, the reference."""
    files = [(name, root / name) for name in ("pyproject.toml", "README.md")]
    for folder in ("conformance", "reference"):
        files += [(path.relative_to(root).as_posix(), path) for path in sorted((root / folder).rglob("*"))
                  if path.is_file() and not _SKIP.intersection(path.parts) and path.suffix != ".pyc"]
    return files


def _spec_files(folder: Path, names: Sequence[str] | None) -> list[tuple[str, Path]]:
    available = {path.stem: path for path in sorted(folder.glob("*.yaml"))}
    missing = sorted(set(names or ()) - set(available))
    if missing:
        raise ValueError(f"no spec file for {', '.join(missing)} in {folder} (there are: {', '.join(available)})")
    chosen = [available[name] for name in (names or available)]
    return [(f"specs/{path.name}", path) for path in chosen]


def _entry(name: str, *, executable: bool) -> zipfile.ZipInfo:
    """A zip member with fixed date and Unix mode: setup.sh and run_autograder must be executable."""
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    return info


# ---------------------------------------------------------------- grading inside Gradescope


def run(autograder_root: Path, *, specs: Sequence[str] | None = None) -> int:
    """Grade ``<root>/submission`` into ``<root>/results/results.json``; 0 once it is written.

    Grading goes through ``python -m conformance grade``, exactly as on an instructor's
    machine. When there is no Python file to grade, the student gets a results.json saying
    so (their mistake, worth telling them); when the grader fails, no results.json is
    written, so Gradescope reports an autograder failure rather than a score of 0.

    Args:
        specs: spec names to grade; default ``$AUTOGRADER_SPECS``, else every spec in source/specs.
    """
    source, target = autograder_root / "source", autograder_root / "results" / "results.json"
    print(f"autograder: engine {Path(__file__).resolve().parent.parent}", flush=True)
    settings = _settings(source)
    submission = _submission_folder(autograder_root / "submission")
    if submission is None:
        gradescope.write(target, _nothing_to_grade())
        return 0
    spec_files = [path for _, path in _spec_files(source / "specs", specs or _env_specs())]
    document = _grade(submission, spec_files, source)
    if document is None:
        print("autograder: the grader wrote no results.json; see the output above", file=sys.stderr)
        return 2
    if settings.get("points") is not None:
        document = gradescope.rescale(document, float(settings["points"]))
    gradescope.write(target, document)
    return 0


def _grade(submission: Path, spec_files: list[Path], source: Path) -> dict[str, Any] | None:
    """Run ``grade`` on one submission; its results.json, or ``None`` if it wrote none."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory(prefix="autograder-") as out:
        command = [sys.executable, "-m", "conformance", "grade", str(submission), "--out", out,
                   "--reference", str(source / "reference"), "--specs", *map(str, spec_files)]
        print("autograder:", " ".join(command), flush=True)
        subprocess.run(command, cwd=source, env=env, check=False)
        written = sorted(Path(out).glob("*/results.json"))
        return json.loads(written[0].read_text(encoding="utf-8")) if len(written) == 1 else None


def _submission_folder(folder: Path) -> Path | None:
    """The folder holding the student's .py files: the top, or the one folder they zipped it in."""
    if any(folder.glob("*.py")):
        return folder
    inner = [d for d in sorted(folder.iterdir()) if d.is_dir() and not d.name.startswith((".", "__MACOSX"))
             and any(d.glob("*.py"))] if folder.is_dir() else []
    return inner[0] if len(inner) == 1 else None


def _nothing_to_grade() -> dict[str, Any]:
    message = ("No Python file was found in your submission. Upload your .py files themselves "
               "(not a zip of them, not in nested folders) and submit again.")
    return {"score": 0.0, "execution_time": 0.0, "output": message, "output_format": "text",
            "visibility": "visible", "tests": []}


def _settings(source: Path) -> dict[str, Any]:
    path = source / _SETTINGS
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else {}


def _env_specs() -> list[str] | None:
    names = [name.strip() for name in os.environ.get("AUTOGRADER_SPECS", "").split(",") if name.strip()]
    return names or None


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.report.autograder_zip", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="build the autograder zip")
    make.add_argument("out", type=Path, help="the zip to write, e.g. dist/gradescope-autograder.zip")
    make.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2], help="the repository")
    make.add_argument("--specs", nargs="+", default=None, help="spec names to include (default: all)")
    make.add_argument("--points", type=float, default=None, help="the assignment's points on Gradescope")
    grade = commands.add_parser("run", help="grade ROOT/submission (what run_autograder does)")
    grade.add_argument("root", type=Path, nargs="?", default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    args = parser.parse_args(argv)
    if args.command == "build":
        print(build(args.out, args.root, specs=args.specs, points=args.points))
        return 0
    return run(args.root)


if __name__ == "__main__":
    sys.exit(main())
