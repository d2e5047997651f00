"""The docs name every setting and every route."""

from __future__ import annotations

import re
from pathlib import Path

from watchkeep.app import create_app
from watchkeep.core.config import Settings
from watchkeep.core.http.openapi import every_route

DOCS = Path(__file__).parent.parent / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    for name in Settings.model_fields:
        assert f"`WATCHKEEP_{name.upper()}`" in text, name


def test_every_route_is_documented(tmp_path: Path) -> None:
    text = (DOCS / "api.md").read_text()
    documented = set(re.findall(r"\|\s*([A-Z, /]+?)\s*\|\s*`([^`]+)`", text))
    pairs = {(m.strip(), p) for methods, p in documented for m in re.split(r"[,/ ]+", methods) if m.strip()}
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    missing = []
    served = 0
    for route in every_route(app):
        for method in route.methods or ():
            served += 1
            if (method, route.path) not in pairs and method != "HEAD":
                missing.append(f"{method} {route.path}")
    assert missing == []
    # Included routers and the plain routes are all seen
    assert served > 80
    assert ("POST", "/api/metrics/ingest") in pairs
    assert ("GET", "/ping/{uuid}/{exit_code}") in pairs


def test_the_architecture_doc_names_every_package() -> None:
    text = (DOCS / "architecture.md").read_text()
    package = Path(__file__).parent.parent / "watchkeep"
    for path in sorted(package.iterdir()):
        if path.is_dir() and (path / "__init__.py").exists():
            assert f"watchkeep/{path.name}/" in text or f"`{path.name}/`" in text, path.name
