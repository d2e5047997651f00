"""Hostile requests get a client error in their route family's envelope, never a 5xx: deep
JSON, huge numbers, non-ASCII credentials, over-long agent-reported strings, and (with
hypothesis) arbitrary bytes and headers thrown at every route without a usable credential."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.agents.support import HEARTBEAT_EXAMPLE, NATIVE_EXAMPLE, PUSH_EXAMPLE, REPORT_EXAMPLE
from tests.support.asgi import RawResponse, lifespan, raw_request, route_templates
from tests.support.hub import ADMIN_PASSWORD
from watchkeep.agents.schemas import AgentCreate
from watchkeep.agents.service import AgentService
from watchkeep.app import create_app
from watchkeep.core.auth.service import AuthService
from watchkeep.core.config import Settings
from watchkeep.core.http.errors import is_flat_family

DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
HUGE = "9" * 400
ENDLESS_PUBLIC_STREAMS = {"/status/events"}


@dataclass
class Credentials:
    agent_id: str
    agent_token: str
    agent_key: str
    session: str
    csrf: str


async def _credentials(app: FastAPI) -> Credentials:
    hub = app.state.hub
    created = await AgentService(hub).create(AgentCreate(name="web-1"))
    _, session, csrf = await AuthService(hub).login("admin", ADMIN_PASSWORD, "127.0.0.9")
    return Credentials(created.row["id"], created.token, created.agent_key, session, csrf)


@pytest.fixture
async def served(settings_for: Callable[..., Settings], sqlite_url: str) -> AsyncIterator[tuple[FastAPI, Credentials]]:
    app = create_app(settings_for(sqlite_url))
    async with lifespan(app):
        yield app, await _credentials(app)


def _assert_client_error(response: RawResponse, path: str, statuses: set[int]) -> None:
    assert response.status in statuses, (response.status, response.body[:300])
    body = response.json()
    if is_flat_family(path):
        assert body["code"].isupper() and body["message"]
    else:
        assert body["error"]["code"].islower() and body["error"]["message"]


def _hostile_cases(creds: Credentials) -> Iterator[tuple[str, str, list[tuple[bytes, bytes]], bytes, set[int]]]:
    agent = [(b"authorization", f"Bearer {creds.agent_token}".encode()), (b"content-type", b"application/json")]
    report_huge_size = {**REPORT_EXAMPLE, "agent_key": creds.agent_key}
    report_huge_size["disk_usage"] = [{**REPORT_EXAMPLE["disk_usage"][0], "size": HUGE + "G"}]
    huge_restarts = {"containers": [{"id": "a", "name": "b", "restartCount": int(HUGE)}]}
    flat_bodies = {
        "/api/metrics/ingest": [DEEP_ARRAY, DEEP_OBJECT, f'{{"uptime": {HUGE}}}'.encode()],
        f"/api/v1/agents/{creds.agent_id}/push": [DEEP_OBJECT, json.dumps(huge_restarts).encode()],
    }
    for path, bodies in flat_bodies.items():
        for body in bodies:
            yield "POST", path, agent, body, {400}
    heartbeat = f"/api/v1/agents/{creds.agent_id}/heartbeat"
    for body in (DEEP_ARRAY, DEEP_OBJECT, json.dumps({**HEARTBEAT_EXAMPLE, "uptime": int(HUGE)}).encode()):
        yield "PUT", heartbeat, agent, body, {400}
    for body in (DEEP_OBJECT, json.dumps(report_huge_size).encode()):
        yield "POST", "/agent/report", [], body, {422}
    # Non-ASCII credentials: a token, a signed token, an API key, a CSRF token on a cookie write.
    for value in ("Bearer wkat_\u00e9t\u00e9", "Bearer wkst.abc.\u00e9", "Bearer caf\u00e9"):
        header = [(b"authorization", value.encode())]
        yield "POST", "/api/metrics/ingest", header, b"{}", {401}
        yield "PUT", heartbeat, header, b"{}", {401}
        yield "POST", f"/api/v1/agents/{creds.agent_id}/push", header, b"{}", {401}
    cookie = (b"cookie", f"watchkeep_session={creds.session}".encode())
    for csrf in ("\u00e9".encode(), "\u00e9".encode("latin-1"), b"\xff\xfe"):
        yield "PUT", heartbeat, [cookie, (b"x-csrf-token", csrf)], b"{}", {403}
        yield "POST", "/api/v1/keys", [cookie, (b"x-csrf-token", csrf)], b"{}", {403}
        yield "POST", "/api/v1/agents/register", [cookie, (b"x-csrf-token", csrf)], b"{}", {403}


async def test_hostile_bodies_and_credentials_are_client_errors(served: tuple[FastAPI, Credentials]) -> None:
    app, creds = served
    for method, path, headers, body, statuses in _hostile_cases(creds):
        response = await raw_request(app, method, path, headers=headers, body=body)
        _assert_client_error(response, path, statuses)


async def test_agent_reported_strings_have_length_limits_naming_the_field(served: tuple[FastAPI, Credentials]) -> None:
    app, creds = served
    agent = [(b"authorization", f"Bearer {creds.agent_token}".encode())]
    long = "x" * 256
    service = {**NATIVE_EXAMPLE["services"][0], "containerName": long}
    cases: list[tuple[str, str, list[tuple[bytes, bytes]], dict[str, Any], str]] = [
        ("POST", "/api/metrics/ingest", agent, {**NATIVE_EXAMPLE, "agentVersion": long}, "agentVersion"),
        ("POST", "/api/metrics/ingest", agent, {**NATIVE_EXAMPLE, "services": [service]}, "services[0].containerName"),
        ("POST", "/agent/report", [], {**REPORT_EXAMPLE, "agent_key": creds.agent_key, "hostname": long}, "hostname"),
        ("POST", "/agent/report", [], {**REPORT_EXAMPLE, "agent_key": creds.agent_key, "kernel": long}, "kernel"),
        (
            "POST",
            f"/api/v1/agents/{creds.agent_id}/push",
            agent,
            {**PUSH_EXAMPLE, "containers": [{**PUSH_EXAMPLE["containers"][0], "status": long}]},
            "containers[0].status",
        ),
    ]
    for method, path, headers, body, field in cases:
        response = await raw_request(app, method, path, headers=headers, body=json.dumps(body).encode())
        _assert_client_error(response, path, {400, 422})
        error = response.json() if is_flat_family(path) else response.json()["error"]
        assert error["field"] == field
        assert "255" in error["message"]
    stored = (await AgentService(app.state.hub).get(creds.agent_id))["version"]
    assert stored is None  # nothing of the refused payloads was written


HEADER_NAMES = [
    b"authorization",
    b"x-api-key",
    b"cookie",
    b"x-csrf-token",
    b"content-type",
    b"idempotency-key",
    b"x-request-id",
    b"x-forwarded-for",
    b"accept",
]


def _fill(template: str, draw: st.DrawFn) -> str:
    segments = []
    for segment in template.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            text = draw(st.one_of(st.text(min_size=1, max_size=40), st.sampled_from(["agent_x", "0", "-1", HUGE])))
            segment = quote(text, safe="")
        segments.append(segment)
    return "/".join(segments)


def test_arbitrary_requests_without_a_usable_credential_never_get_a_5xx(
    settings_for: Callable[..., Settings], sqlite_url: str, tmp_path: Path
) -> None:
    app = create_app(settings_for(sqlite_url, login_rate_limit_per_minute=0))
    # The public status stream needs no credential and never ends: its GET is left out.
    routes = [
        (path, methods - {"GET", "HEAD"} if path in ENDLESS_PUBLIC_STREAMS else methods)
        for path, methods in route_templates(app)
    ]
    assert any(path.startswith("/ping/") for path, _ in routes)
    assert {"/api/v1/auth/login", "/api/v1/health", "/api/metrics/ingest", "/agent/report"} <= {p for p, _ in routes}
    loop = asyncio.new_event_loop()
    started = lifespan(app)
    loop.run_until_complete(started.__aenter__())
    try:
        creds = loop.run_until_complete(_credentials(app))
        scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
        documents = st.recursive(
            scalars,
            lambda children: (
                st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
            ),
            max_leaves=12,
        )
        bodies = st.one_of(
            st.binary(max_size=300),
            documents.map(lambda value: json.dumps(value).encode()),
            st.sampled_from([DEEP_ARRAY, DEEP_OBJECT, f'{{"name": {HUGE}}}'.encode(), b'{"agent_key": "\xff"}']),
        )
        # Credentials that are no use: garbage, non-ASCII, and a real session without its CSRF
        # token (sent only on writes: a real session on a GET could open an endless stream).
        credential_values = st.one_of(
            st.binary(max_size=60),
            st.sampled_from([b"Bearer caf\xc3\xa9", b"Bearer wkst.\xc3\xa9.x", b"Bearer wkat_" + b"A" * 43]),
        )

        @settings(
            max_examples=600,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(st.data())
        def probe(data: st.DataObject) -> None:
            template, methods = data.draw(st.sampled_from(routes))
            method = data.draw(st.sampled_from(sorted(methods | {"POST", "PUT", "DELETE", "PATCH"})))
            path = data.draw(st.composite(lambda draw: _fill(template, draw))())
            names = data.draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=4, unique=True))
            headers = [(name, data.draw(credential_values)) for name in names]
            if method not in ("GET", "HEAD") and data.draw(st.booleans()):
                headers.append((b"cookie", f"watchkeep_session={creds.session}".encode()))
            body = data.draw(bodies)
            query = data.draw(st.binary(max_size=30))
            response = loop.run_until_complete(
                asyncio.wait_for(raw_request(app, method, path, headers=headers, body=body, query=query), 10)
            )
            assert response.status < 500, (method, path, headers, body[:100], response.body[:300])
            # Ping routes answer in plain text, as the cron tools calling them expect, and
            # badges with a badge (a grey "not found" one for an unknown slug).
            if response.status >= 400 and method == "GET" and path.startswith("/status/badge/"):
                assert response.body.lstrip().startswith(b"<svg"), response.body[:100]
            elif response.status >= 400 and method != "HEAD" and not path.startswith("/ping/"):
                _assert_client_error(response, path, {response.status})

        probe()
    finally:
        loop.run_until_complete(started.__aexit__(None, None, None))
        loop.close()
