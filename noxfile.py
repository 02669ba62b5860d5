"""Sessions: ``nox -s grade`` grades, ``nox -s tests`` tests the engine, and the rest.

Every session installs what it needs into its own virtualenv, so a fresh machine with only
Python and pip (and nox) runs them all.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.11", "3.12"]


@nox.session  # the interpreter nox runs on: any Python >= 3.11 will do
def grade(session: nox.Session) -> None:
    """Grade submissions: ``nox -s grade -- [SUBMISSION_DIR ...] [--out DIR] [-k EXPR] [-n N]``.

    With no submission, grades the bundled sample class in ``examples/``. Exits 0 when
    every case passed, 1 when some did not, 2 when the grader itself failed.
    """
    session.install("-e", ".")
    session.run("python", "-m", "conformance", "grade", *session.posargs, success_codes=[0, 1])


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The engine's own tests (parallel): ``nox -s tests -- [pytest args]``.

    Whole-spec runs (kill matrices, the 50-run stability check) are marked slow and run on
    the first Python only: they test the specs and the reference, which do not change
    with the interpreter, and they are most of the suite's time.
    """
    # xmlschema validates the JUnit emitter's output against the vendored xunit2 XSD.
    session.install("-e", ".", "xmlschema")
    if session.posargs:
        session.run("python", "-m", "pytest", "-n", "2", *session.posargs)
        return
    first = session.python == PYTHONS[0]
    session.run("python", "-m", "pytest", "-n", "2", "-m", "not hostile" if first else "not slow and not hostile", "tests")
    if first:
        # The hostile corpus runs on its own: some attacks strain host-wide quotas (pipe
        # pages per user) that would make unrelated tests running beside them flaky.
        session.run("python", "-m", "pytest", "-n", "2", "-m", "hostile", "tests/hostile")


@nox.session  # the interpreter nox runs on: any Python >= 3.11 will do
def lint(session: nox.Session) -> None:
    """ruff on everything, mypy on the engine."""
    session.install("-e", ".", "ruff", "mypy", "types-PyYAML", "types-jsonschema")
    session.run("ruff", "check", "conformance", "tests", "noxfile.py")
    session.run("mypy", "conformance")


@nox.session  # the interpreter nox runs on: any Python >= 3.11 will do
def specs(session: nox.Session) -> None:
    """Lint the specs (rule IDs in docs/spec-lint.md) and check the shipped schema is current."""
    session.install("-e", ".")
    session.run("python", "-m", "conformance.spec.schema", "--check")
    session.run("python", "-m", "conformance.spec.linter", "--coverage", "specs")


@nox.session  # the interpreter nox runs on: any Python >= 3.11 will do
def gradescope(session: nox.Session) -> None:
    """Build dist/gradescope-autograder.zip: ``nox -s gradescope -- [--specs pipe ...] [--points P]``.

    Upload the zip as the assignment's autograder; give ``--points`` the assignment's points
    so the scores add up to them. Building needs only the standard library, so nothing is
    installed here: the zip's setup.sh installs the engine inside Gradescope's image.
    """
    session.run("python", "-m", "conformance.report.autograder_zip", "build", "dist/gradescope-autograder.zip",
                *session.posargs)


@nox.session  # the interpreter nox runs on: any Python >= 3.11 will do
def bench(session: nox.Session) -> None:
    """Benchmarks: cost of one box against a bare fork-and-wait measured in the same run."""
    session.install("-e", ".")
    session.run("python", "benchmarks/box_cost.py", *session.posargs)
