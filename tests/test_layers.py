"""The engine's layering: no subpackage reaches into another's private modules."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1] / "conformance"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_private_modules_stay_inside_their_subpackage() -> None:
    """An underscore module (e.g. sandbox/_libc.py) is imported only from its own subpackage."""
    offences = []
    for path in ENGINE.rglob("*.py"):
        own = path.relative_to(ENGINE).parts[0]
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "conformance" or len(parts) < 3:
                continue
            if parts[2].startswith("_") and parts[2] != "__init__" and parts[1] != own:
                offences.append(f"{path.relative_to(ENGINE)} imports {name}")
    assert not offences, "\n".join(offences)


def test_zygote_side_never_imports_specs() -> None:
    """The modules a zygote loads (sandbox, actor runtime) never import the spec layer or grading."""
    zygote_side = [ENGINE / "sandbox", ENGINE / "runner" / "actor.py", ENGINE / "runner" / "protocol.py",
                   ENGINE / "runner" / "values.py", ENGINE / "runner" / "proxy.py"]
    files = [p for root in zygote_side for p in ([root] if root.is_file() else root.rglob("*.py"))]
    offences = [f"{p.relative_to(ENGINE)} imports {name}" for p in files for name in _imports(p)
                if name.startswith(("conformance.spec", "conformance.grading", "conformance.models",
                                    "conformance.runner.orchestrator", "conformance.runner.steps"))]
    assert not offences, "\n".join(offences)
