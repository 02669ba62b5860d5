"""The result cache: what makes grading incremental and resumable.

A result is stored under a key made of everything that can change it: the engine (version
and source),
the spec file's bytes, the case and variant, the submission's files, the reference's files,
the isolation level and the timeout multiplier. A re-run finds every unchanged item here
and skips its box; a run killed at any moment loses at most the cases that were running,
because each result is its own file, written atomically (temporary file, then rename), so
no reader ever sees half a result and no result is ever counted twice.

Harness errors are never cached: the next run tries them again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from conformance import __version__
from conformance.grading.result import CaseResult, Outcome


def folder_digest(folder: Path) -> str:
    """SHA-256 over every file of a folder (relative paths and contents, in sorted order)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def engine_digest() -> str:
    """The engine's version and a digest of its own source files.

    The version alone would trust every developer to bump it; hashing the source means a
    change to the engine can never be hidden behind an old cached verdict.
    """
    return f"{__version__}:{folder_digest(Path(__file__).resolve().parents[1])}"


def key(*parts: str) -> str:
    """The cache key for one item: the engine plus every part that shapes the result."""
    return hashlib.sha256("\0".join((engine_digest(), *parts)).encode()).hexdigest()


class ResultCache:
    """Case results on disk, one file per key (safe with many writers at once)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, item_key: str) -> Path:
        return self.folder / item_key[:2] / f"{item_key}.json"

    def get(self, item_key: str) -> CaseResult | None:
        """The stored result, or ``None`` (also when the file is unreadable: it is rerun)."""
        try:
            return CaseResult.from_json(json.loads(self._path(item_key).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, item_key: str, result: CaseResult) -> None:
        """Store a result atomically; harness errors are not stored."""
        if result.outcome is Outcome.HARNESS_ERROR:
            return
        path = self._path(item_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(result.to_json()), encoding="utf-8")
        os.replace(temporary, path)
