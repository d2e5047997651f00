"""Every page route that changes something checks the session's CSRF token through one
dependency, and a post without it changes nothing."""

from __future__ import annotations

from pathlib import Path

from fastapi.dependencies.models import Dependant

from watchkeep.app import create_app
from watchkeep.core.config import Settings
from watchkeep.core.http.openapi import every_route
from watchkeep.web import session


def _calls(dependant: Dependant) -> set[object]:
    found: set[object] = set()
    for dep in dependant.dependencies:
        found.add(dep.call)
        found |= _calls(dep)
    return found


def test_every_page_post_but_login_checks_the_csrf_token(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", data_dir=tmp_path))
    posts = [
        route
        for route in every_route(app)
        if "POST" in (route.methods or ()) and not (route.path or "").startswith(("/api/", "/agent", "/ping/"))
    ]
    assert len(posts) > 20
    unchecked = [r.path for r in posts if r.path != "/login" and session._any_change not in _calls(r.dependant)]
    assert unchecked == []
