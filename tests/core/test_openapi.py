"""The OpenAPI document describes every route as the hub serves it: the plain routes kept out
of the router for speed, request bodies decoded with msgspec, error bodies, who may call each
operation, and the limits the hub enforces."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest

from tests.support.hub import RunningHub
from watchkeep.core.http.openapi import every_route
from watchkeep.notify.channels import CHANNEL_TYPES

PLAIN = ["/api/metrics/ingest", "/ping/{uuid}", "/ping/{uuid}/start", "/ping/{uuid}/fail", "/ping/{uuid}/log"]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def _document(hub: RunningHub) -> dict[str, Any]:
    response = await hub.client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


async def test_the_plain_routes_are_documented_with_their_bodies(hub: RunningHub) -> None:
    document = await _document(hub)
    paths = document["paths"]
    for path in [*PLAIN, "/ping/{uuid}/{exit_code}"]:
        assert path in paths, path
    ingest = paths["/api/metrics/ingest"]["post"]
    payload = _resolve(document, ingest["requestBody"]["content"]["application/json"]["schema"])
    assert {"agentVersion", "cpuPercent", "containers", "timestamp"} <= set(payload["properties"])
    assert ingest["security"] == [{"agentToken": []}]
    answer = _resolve(document, ingest["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(answer["required"]) == {"status", "agentId", "stored", "timestamp"}
    # The flat error body of its family, as every operation of /api/metrics
    assert ingest["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/FlatError")

    for path in PLAIN[1:]:
        assert set(paths[path]) == {"get", "post", "head"}, path
        post = paths[path]["post"]
        assert "text/plain" in post["requestBody"]["content"]
        assert post["security"] == []
        assert set(post["responses"]) == {"200", "400", "404", "429"}
        assert all("text/plain" in answer["content"] for answer in post["responses"].values())
    exit_code = {p["name"]: p["schema"] for p in paths["/ping/{uuid}/{exit_code}"]["get"]["parameters"]}
    assert exit_code["exit_code"] == {"type": "integer", "minimum": 0, "maximum": 255}
    assert re.match(exit_code["uuid"]["pattern"], "0f4c6a52-3a5e-4c38-9d0e-4b8f3f6a0c11")


async def test_routes_that_decode_their_own_body_document_it(hub: RunningHub) -> None:
    document = await _document(hub)
    expected = {
        ("/agent/report", "post"): "Report",
        ("/api/v1/agents/{uuid}/heartbeat", "put"): "Heartbeat",
        ("/api/v1/agents/{agent_id}/push", "post"): "Push",
        ("/api/v1/agents/{agent_id}/config", "put"): "AgentConfigUpdate",
        ("/api/v1/agents/register", "post"): "AgentRegister",
    }
    for (path, method), name in expected.items():
        body = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{name}"}, path
    # Every endpoint that reads its body itself says what the body is.
    for route in every_route(hub.app):
        source = inspect.getsource(route.endpoint) if route.endpoint is not None else ""
        if "request.body()" not in source:
            continue
        for method in route.methods or ():
            if method == "HEAD":
                continue
            operation = document["paths"][route.path_format or ""][method.lower()]
            assert "requestBody" in operation, (method, route.path_format)


async def test_security_schemes_are_declared_and_match_what_each_route_enforces(hub: RunningHub) -> None:
    document = await _document(hub)
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key",
    }
    assert schemes["bearerKey"]["scheme"] == "bearer"
    assert schemes["session"]["in"] == "cookie"
    assert schemes["session"]["name"] == "watchkeep_session"
    assert schemes["agentToken"]["scheme"] == "bearer"
    client = hub.client()
    checked = 0
    for path, operations in document["paths"].items():
        url = re.sub(r"\{[^}]+\}", "0f4c6a52-3a5e-4c38-9d0e-4b8f3f6a0c11", path)
        for method, operation in operations.items():
            assert "security" in operation, (method, path)
            kwargs: dict[str, Any] = {"json": {}} if "requestBody" in operation else {}
            response = await client.request(method.upper(), url, **kwargs)
            if operation["security"]:
                assert response.status_code == 401, (method, path, response.status_code)
            else:
                assert response.status_code != 401, (method, path)
            checked += 1
    assert checked > 80


async def test_limits_and_enums_in_the_document_are_the_ones_enforced(hub: RunningHub) -> None:
    document = await _document(hub)
    schemas = document["components"]["schemas"]
    assert schemas["ChannelIn"]["properties"]["type"]["enum"] == list(CHANNEL_TYPES)
    admin = hub.admin
    unknown = await admin.post("/api/v1/channels", json={"name": "x", "type": "carrier-pigeon", "config": {}})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["field"] == "type"

    # A length limit of an API model and of a msgspec body, each at and past its limit
    name_limit = schemas["HeartbeatWrite"]["properties"]["name"]["maxLength"]
    for length, status in ((name_limit, 201), (name_limit + 1, 400)):
        created = await admin.post("/api/v1/heartbeats", json={"name": "n" * length, "periodSeconds": 3600})
        assert created.status_code == status, length
    agent = (await admin.post("/api/v1/agents", json={"name": "limits"})).json()
    version_limit = schemas["Heartbeat"]["properties"]["version"]["maxLength"]
    beat = {"uptime": 10, "cpuUsage": 1, "memUsage": 1}
    for length, status in ((version_limit, 200), (version_limit + 1, 400)):
        answer = await admin.put(f"/api/v1/agents/{agent['id']}/heartbeat", json={**beat, "version": "v" * length})
        assert answer.status_code == status, length
    assert answer.json()["error"]["field"] == "version"

    # The agent key's pattern: a malformed key is refused with the contract's 422
    pattern = schemas["Report"]["properties"]["agent_key"]["pattern"]
    assert not re.match(pattern, "wkak_short")
    malformed = await hub.client().post("/agent/report", json={"agent_key": "wkak_short"})
    assert malformed.status_code == 422
