"""Every failure reaches the client in the envelope of its route family."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from tests.support.hub import RunningHub
from watchkeep.core.errors import STATUS_BY_CODE, ErrorCode, WatchkeepError
from watchkeep.core.http.routing import make_router


class _Service(BaseModel):
    containerName: str


class _Payload(BaseModel):
    services: list[_Service]


def _probe_router() -> APIRouter:
    """Routes that fail on purpose, mounted in both route families."""
    router = make_router()
    for prefix in ("/api/v1/_probe", "/api/metrics/_probe", "/agent/_probe"):

        @router.get(prefix + "/raise/{code}")
        async def raise_code(code: str) -> None:
            raise WatchkeepError(ErrorCode(code), f"probe {code}", field="probeField", hint="a hint")

        @router.post(prefix + "/nested")
        async def nested(body: _Payload) -> dict[str, int]:
            return {"services": len(body.services)}

        @router.get(prefix + "/query")
        async def query(limit: int) -> dict[str, int]:
            return {"limit": limit}

        @router.get(prefix + "/crash")
        async def crash() -> None:
            raise RuntimeError("secret database password in the exception text")

    return router


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Rendering errors does not depend on the database."""
    return sqlite_url


@pytest.fixture
async def probed(hub: RunningHub) -> RunningHub:
    hub.app.include_router(_probe_router())
    return hub


async def test_every_code_has_its_status_in_the_v1_envelope(probed: RunningHub) -> None:
    for code in ErrorCode:
        response = await probed.client().get(f"/api/v1/_probe/raise/{code.value}")
        assert response.status_code == STATUS_BY_CODE[code], code
        error = response.json()["error"]
        assert error["code"] == code.value.lower()
        assert error["message"] == f"probe {code.value}"
        assert error["field"] == "probeField"
        assert error["hint"] == "a hint"
        assert error["requestId"] == response.headers["x-request-id"]


@pytest.mark.parametrize("prefix", ["/api/metrics/_probe", "/agent/_probe"])
async def test_every_code_has_its_status_in_the_flat_body(probed: RunningHub, prefix: str) -> None:
    for code in ErrorCode:
        response = await probed.client().get(f"{prefix}/raise/{code.value}")
        assert response.status_code == STATUS_BY_CODE[code], code
        assert response.json() == {
            "code": code.value,
            "message": f"probe {code.value}",
            "field": "probeField",
            "hint": "a hint",
            "requestId": response.headers["x-request-id"],
        }


def test_the_documented_statuses_hold() -> None:
    assert STATUS_BY_CODE == {
        ErrorCode.VALIDATION_ERROR: 400,
        ErrorCode.READONLY_FIELD: 400,
        ErrorCode.UNAUTHORIZED: 401,
        ErrorCode.FORBIDDEN_SCOPE: 403,
        ErrorCode.FORBIDDEN_ROLE: 403,
        ErrorCode.NOT_FOUND: 404,
        ErrorCode.CONFLICT: 409,
        ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
        ErrorCode.RATE_LIMITED: 429,
        ErrorCode.SERVICE_UNAVAILABLE: 503,
        ErrorCode.INTERNAL: 500,
    }


async def test_a_missing_nested_field_is_named_by_its_path(probed: RunningHub) -> None:
    body = {"services": [{"containerName": "a"}, {"containerName": "b"}, {}]}
    response = await probed.client().post("/api/metrics/_probe/nested", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["field"] == "services[2].containerName"


async def test_a_wrong_type_is_named_by_its_path(probed: RunningHub) -> None:
    response = await probed.client().post("/api/v1/_probe/nested", json={"services": [{"containerName": ["x"]}]})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "services[0].containerName"


async def test_malformed_json_is_a_validation_error(probed: RunningHub) -> None:
    response = await probed.client().post(
        "/api/v1/_probe/nested", content=b'{"services": [', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith("Malformed JSON body")


async def test_a_json_body_without_the_json_content_type_says_so(probed: RunningHub) -> None:
    response = await probed.client().post(
        "/api/v1/_probe/nested",
        content=b'{"services": []}',
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "The request body must be a JSON object"
    assert "Content-Type: application/json" in error["hint"]


async def test_a_bad_query_value_names_the_parameter(probed: RunningHub) -> None:
    response = await probed.client().get("/agent/_probe/query", params={"limit": "ten"})
    assert response.status_code == 400
    assert response.json()["field"] == "limit"


async def test_an_unexpected_error_is_internal_without_its_text(probed: RunningHub) -> None:
    for path in ("/api/v1/_probe/crash", "/agent/_probe/crash"):
        response = await probed.client().get(path)
        assert response.status_code == 500
        assert "secret" not in response.text
        assert "Traceback" not in response.text
        assert response.headers["x-request-id"] in response.text
    assert (await probed.client().get("/agent/_probe/crash")).json()["code"] == "INTERNAL"


async def test_an_unknown_route_is_not_found(hub: RunningHub) -> None:
    v1 = await hub.client().get("/api/v1/no-such-thing")
    assert v1.status_code == 404
    assert v1.json()["error"]["code"] == "not_found"
    flat = await hub.client().post("/api/metrics/no-such-thing", json={})
    assert flat.status_code == 404
    assert flat.json()["code"] == "NOT_FOUND"


async def test_a_wrong_method_is_405_in_the_envelope(hub: RunningHub) -> None:
    response = await hub.client().delete("/api/v1/health")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    assert response.json()["error"]["code"] == "validation_error"


async def test_a_body_over_the_limit_is_refused_with_413(start_hub: object) -> None:
    async with start_hub(max_body_bytes=2048) as hub:  # type: ignore[operator]
        big = {"services": [{"containerName": "x" * 4096}]}
        declared = await hub.client().post("/api/v1/auth/login", json=big)
        assert declared.status_code == 413
        assert declared.json()["error"]["code"] == "validation_error"

        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(8):
                yield b"x" * 1024

        streamed = await hub.client().post(
            "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413


async def test_a_sane_request_id_is_echoed_and_an_insane_one_replaced(hub: RunningHub) -> None:
    kept = await hub.client().get("/api/v1/nope", headers={"X-Request-ID": "trace-42.a"})
    assert kept.headers["x-request-id"] == "trace-42.a"
    assert kept.json()["error"]["requestId"] == "trace-42.a"
    replaced = await hub.client().get("/api/v1/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"].startswith("req_")
