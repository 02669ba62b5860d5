"""The spec layer: YAML spec files in, frozen model values out.

Modules:

* ``model``      — the frozen dataclasses a loaded spec is made of (``Spec``, ``Case``, ...).
* ``vocabulary`` — the closed vocabularies (errno and signal names, capabilities, ...) and
  the behaviour catalogue snapshot (``behaviours.tsv``).
* ``schema``     — the JSON Schema, built from the vocabularies; ``spec.schema.json`` is
  its committed rendering (``python -m conformance.spec.schema``).
* ``errors``     — ``SpecError``, with file, line, column, YAML path and the offending line.
* ``loader``     — ``load_spec`` / ``load_specs``: parse, validate, check, build.
* ``linter``     — ``lint`` and its rules SL001..SL014 (``python -m conformance.spec.linter``).
* ``_source``    — private: YAML to plain data, with the node behind every path.
* ``_validate``  — private: schema validation that ends in one precise ``SpecError``.

Public names are those re-exported here; other packages import from ``conformance.spec``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from conformance.spec.errors import SpecError
from conformance.spec.model import (
    Actor,
    AwaitStep,
    BarrierStep,
    CallStep,
    Case,
    CaseError,
    ClassSpec,
    Defaults,
    Expect,
    Interface,
    Location,
    ObserveStep,
    Signature,
    SpawnStep,
    Spec,
    Step,
    Variant,
)

__all__ = [
    "Actor",
    "AwaitStep",
    "BarrierStep",
    "CallStep",
    "Case",
    "CaseError",
    "ClassSpec",
    "Defaults",
    "Expect",
    "Finding",
    "Interface",
    "Location",
    "ObserveStep",
    "Signature",
    "SpawnStep",
    "Spec",
    "SpecError",
    "Step",
    "Variant",
    "lint",
    "load_spec",
    "load_specs",
]

# The loader and the linter are imported on first use (PEP 562): eager imports here would
# make ``python -m conformance.spec.linter`` (and ``.schema``) import the module twice,
# once as a package member and once as ``__main__``.
_LAZY = {
    "Finding": "conformance.spec.linter",
    "lint": "conformance.spec.linter",
    "load_spec": "conformance.spec.loader",
    "load_specs": "conformance.spec.loader",
}

if TYPE_CHECKING:
    from conformance.spec.linter import Finding, lint
    from conformance.spec.loader import load_spec, load_specs


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
