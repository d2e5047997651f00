"""Health, runtime status, edition and the OpenAPI document."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import asyncpg
import pytest

from tests.support import postgres
from tests.support.hub import RunningHub, running_hub
from watchkeep.core.config import Settings
from watchkeep.core.health import CAPABILITIES

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_health_is_unavailable_when_the_database_is_unreachable(
    settings_for: Callable[..., Settings],
) -> None:
    await postgres.require()
    name = await postgres.create_database()
    try:
        async with running_hub(settings_for(postgres.database_url(name))) as hub:
            assert (await hub.client().get("/api/v1/health")).status_code == 200
            admin = await asyncpg.connect(postgres.ADMIN_URL)
            try:
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
            finally:
                await admin.close()
            response = await hub.client().get("/api/v1/health")
            assert response.status_code == 503
            assert response.json()["error"]["code"] == "service_unavailable"
            admin = await asyncpg.connect(postgres.ADMIN_URL)
            try:
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            finally:
                await admin.close()
            assert (await hub.client().get("/api/v1/health")).status_code == 200
    finally:
        await postgres.drop_database(name)


async def test_runtime_is_none_without_a_docker_socket(hub: RunningHub) -> None:
    body = (await hub.admin.get("/api/v1/runtime/status")).json()
    assert body["runtime"] == "none"
    assert body["connected"] is False


@pytest.fixture
async def docker_socket(tmp_path: Path) -> AsyncIterator[Path]:
    """A unix socket answering the Engine API's /version, as a Docker daemon does."""
    path = tmp_path / "docker.sock"

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        if request.startswith(b"GET /version "):
            body = json.dumps({"Version": "28.2.2", "ApiVersion": "1.50"}).encode()
            status = b"200 OK"
        else:
            body, status = b"{}", b"404 Not Found"
        writer.write(
            b"HTTP/1.1 "
            + status
            + b"\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(answer, path=str(path))
    async with server:
        yield path


async def test_runtime_is_docker_when_the_socket_answers(start_hub: StartHub, docker_socket: Path) -> None:
    async with start_hub(docker_host=f"unix://{docker_socket}") as hub:
        body = (await hub.admin.get("/api/v1/runtime/status")).json()
    assert body["runtime"] == "docker"
    assert body["connected"] is True
    assert body["version"] == "28.2.2"
    assert body["apiVersion"] == "1.50"


async def test_runtime_status_needs_credentials(hub: RunningHub) -> None:
    assert (await hub.client().get("/api/v1/runtime/status")).status_code == 401


async def test_the_edition_names_every_capability(hub: RunningHub) -> None:
    body = (await hub.client().get("/api/v1/edition")).json()
    assert body["edition"] == "community"
    assert list(body["features"]) == list(CAPABILITIES)
    assert body["features"]["users"] is True
    assert body["features"]["agents"] is True
    assert body["features"]["heartbeats"] is True
    assert body["features"]["statusPage"] is True
    # Not built yet, so reported off rather than claimed.
    assert body["features"]["kubernetesRuntime"] is False
    assert all(isinstance(v, bool) for v in body["features"].values())


async def test_openapi_documents_the_error_envelope_on_every_route(hub: RunningHub) -> None:
    schema = (await hub.client().get("/api/v1/openapi.json")).json()
    assert "ErrorEnvelope" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        if path.startswith("/ping/"):
            continue  # plain-text answers, each one listed (tests/core/test_openapi.py)
        for method, operation in operations.items():
            for status in ("400", "401", "404", "500"):
                ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("ErrorEnvelope") or ref.endswith("FlatError"), (path, method)
    docs = await hub.client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert "openapi.json" in docs.text
