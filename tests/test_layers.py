"""The core's folders are layers: each module imports only from its own layer and the ones below it.

This keeps the import graph free of cycles (the books never import a sink, the plugin SDK never
imports the engine), so a plugin author's `ledgerport.sdk` stays small and the folder listing says
how the pieces depend on each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).parents[1] / "core" / "ledgerport"
LAYERS = ["errors", "secret", "model", "books", "sdk", "engine", "testing", "cli"]
"""Lowest first. `errors` and `secret` are the foundation; `testing` drives the engine; `cli` is on top."""
BELOW = {
    "errors": {"secret"},
    "secret": set(),
    "model": {"errors", "secret"},
    "books": {"errors", "secret", "model"},
    "sdk": {"errors", "secret", "model", "books"},
    "engine": {"errors", "secret", "model", "books", "sdk"},
    "testing": {"errors", "secret", "model", "books", "sdk", "engine"},
    "cli": {"errors", "secret", "model", "books", "sdk", "engine"},
}
MODULES = sorted(p for p in CORE.rglob("*.py") if p.relative_to(CORE).parts[0] not in ("__init__.py", "__main__.py"))


def _layer(parts: tuple[str, ...]) -> str:
    return parts[0].removesuffix(".py")


def _imported_layers(path: Path) -> set[str]:
    """The layers `path` imports from, through relative imports or `ledgerport.X` absolute ones."""
    package = path.relative_to(CORE).parent.parts
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = (*base, *(node.module.split(".") if node.module else ()))
        elif node.module and node.module.split(".")[0] == "ledgerport":
            target = tuple(node.module.split(".")[1:])
        else:
            continue
        if not target:
            names = [alias.name for alias in node.names if alias.name != "__version__"]
            assert not names, f"{path}: imports {names} from the top-level namespace; import from their module"
            continue
        found.add(target[0])
    return found


def test_there_are_layers() -> None:
    assert {_layer(p.relative_to(CORE).parts) for p in MODULES} == set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(CORE)))
def test_a_module_imports_only_from_its_layer_and_those_below(path: Path) -> None:
    layer = _layer(path.relative_to(CORE).parts)
    outside = _imported_layers(path) - {layer} - BELOW[layer]
    assert not outside, f"{path.relative_to(CORE)} ({layer}) imports from {sorted(outside)}"
