"""The agent imports, of watchkeep, only its own package, the wire protocol and the probes;
the protocol and the probes import nothing else of watchkeep (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "watchkeep"
ALLOWED = {
    "agent": ("watchkeep.agent", "watchkeep.protocol", "watchkeep.probes", "watchkeep.__init__"),
    "protocol": ("watchkeep.protocol",),
    "probes": ("watchkeep.probes",),
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module if node.module != "watchkeep" else "watchkeep.__init__")
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "watchkeep" or name.startswith("watchkeep.")}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_shared_package_imports_only_what_it_may(package: str) -> None:
    allowed = ALLOWED[package]
    wrong = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / package).rglob("*.py")
        for name in _imports(path)
        if not name.startswith(allowed)
    }
    assert not wrong
