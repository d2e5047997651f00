"""HTTP details: `Allow` on 405 names every method of the path; security headers on HTML
pages; the API docs load pinned assets with Subresource Integrity under a strict CSP."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.support.asgi import raw_request
from tests.support.hub import RunningHub
from watchkeep.core.http.security import SecurityHeadersMiddleware


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_allow_on_405_lists_every_method_of_the_path(hub: RunningHub) -> None:
    cases = {
        ("PUT", "/api/v1/agents"): {"GET", "POST"},
        ("POST", "/api/v1/agents/agent_x"): {"GET", "PATCH", "DELETE"},
        ("PUT", "/api/metrics/ingest"): {"POST"},
        ("DELETE", "/ping/abc"): {"GET", "HEAD", "POST"},
    }
    for (method, path), expected in cases.items():
        response = await hub.client().request(method, path)
        assert response.status_code == 405, (method, path)
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert expected <= allowed, (path, allowed)
        assert method not in allowed


async def test_the_docs_page_loads_pinned_assets_with_integrity_under_a_strict_policy(hub: RunningHub) -> None:
    page = await hub.client().get("/api/v1/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'none'" in policy
    script_sources = re.search(r"script-src ([^;]+)", policy)
    assert script_sources is not None
    assert set(script_sources.group(1).split()) == {"'self'", "https://cdn.jsdelivr.net"}
    assert "unsafe-inline" not in policy
    external = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https://[^"]+)"[^>]*>', page.text)
    assert len(external) == 2
    for tag in re.findall(r"<(?:script|link)[^>]+https://[^>]+>", page.text):
        assert re.search(r'integrity="sha384-[A-Za-z0-9+/]{64}"', tag), tag
        assert 'crossorigin="anonymous"' in tag
        assert re.search(r"swagger-ui-dist@\d+\.\d+\.\d+/", tag), tag  # an exact version, not a range
    assert "<script>" not in page.text  # no inline script for the policy to allow
    init = await hub.client().get("/api/v1/docs/swagger-init.js")
    assert init.status_code == 200
    assert "SwaggerUIBundle" in init.text


async def test_every_html_response_gets_a_frame_refusing_policy_and_json_gets_nosniff(hub: RunningHub) -> None:
    health = await hub.client().get("/api/v1/health")
    assert health.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in health.headers
    missing = await hub.client().get("/api/v1/nothing-here")
    assert missing.headers["x-content-type-options"] == "nosniff"


async def test_an_html_page_without_its_own_policy_gets_one_that_refuses_framing() -> None:
    async def page(_: Request) -> Response:
        return HTMLResponse("<p>hello</p>")

    app = SecurityHeadersMiddleware(Starlette(routes=[Route("/ui", page)]))
    response = await raw_request(app, "GET", "/ui")
    policy = (response.header(b"content-security-policy") or b"").decode()
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert response.header(b"x-frame-options") == b"DENY"
    assert response.header(b"x-content-type-options") == b"nosniff"
