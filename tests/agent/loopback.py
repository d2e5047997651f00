"""A small hub of the tests' own on loopback that answers the agent the way the contracts
(agent-metrics-ingest.txt, agents-register-push.txt) say: flat error bodies, 200 on ingest,
Idempotency-Key replays answered without storing twice. Its failure modes are switchable."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def flat_error(status: int, code: str, message: str, field_name: str | None = None, **headers: str) -> Response:
    body = {"code": code, "message": message, "field": field_name, "requestId": "req_loopback"}
    return JSONResponse(body, status_code=status, headers=headers)


@dataclass
class LoopbackHub:
    api_key: str = "wk_test_key"
    token_lifetime: int = 3600
    push_interval: int = 15
    config: dict[str, Any] | None = None
    # "ok", "unavailable" (503), "rate_limited" (429 + Retry-After), "reject" (422),
    # "store_then_fail" (stores, then answers 503 as if the answer were lost)
    mode: str = "ok"
    retry_after: str = "120"
    stored: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    attempts: list[tuple[str, bytes]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=lambda: {"agent-token-1"})
    registrations: int = 0

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/metrics/ingest", self.ingest, methods=["POST"]),
                Route("/api/agent/config", self.agent_config, methods=["GET"]),
                Route("/api/v1/agents/register", self.register, methods=["POST"]),
            ]
        )

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.tokens

    async def ingest(self, request: Request) -> Response:
        body = await request.body()
        key = request.headers.get("idempotency-key", "")
        self.attempts.append((key, body))
        if not self._authorized(request):
            return flat_error(401, "UNAUTHORIZED", "Missing or invalid bearer token")
        if self.mode == "unavailable":
            return flat_error(503, "SERVICE_UNAVAILABLE", "Hub is starting")
        if self.mode == "rate_limited":
            return flat_error(429, "RATE_LIMITED", "Too many payloads", **{"Retry-After": self.retry_after})
        if self.mode == "reject":
            return flat_error(422, "VALIDATION_ERROR", "cpuPercent: Expected `number`", "cpuPercent")
        if key not in self.keys:
            self.keys.append(key)
            self.stored.append(json.loads(body))
        if self.mode == "store_then_fail":
            return flat_error(503, "SERVICE_UNAVAILABLE", "answer lost")
        return JSONResponse({"stored": True})

    async def agent_config(self, request: Request) -> Response:
        if not self._authorized(request):
            return flat_error(401, "UNAUTHORIZED", "Missing or invalid bearer token")
        base = {"serverId": "agent_1", "serverName": "loopback", "pushIntervalSeconds": self.push_interval}
        return JSONResponse({**base, **(self.config or {})})

    async def register(self, request: Request) -> Response:
        if request.headers.get("x-api-key") != self.api_key:
            return JSONResponse({"error": {"code": "unauthorized", "message": "Invalid API key"}}, status_code=401)
        self.registrations += 1
        token = f"registered-token-{self.registrations}"
        self.tokens = {token}  # an earlier token stops working
        return JSONResponse(
            {
                "agentId": "agent_7f3c9b2a",
                "token": token,
                "tokenExpiresIn": self.token_lifetime,
                "pushIntervalSeconds": self.push_interval,
            }
        )


@contextlib.asynccontextmanager
async def serving(hub: LoopbackHub | Starlette, port: int) -> AsyncIterator[str]:
    app = hub.app() if isinstance(hub, LoopbackHub) else hub
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("loopback hub did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class ManualClock:
    """Epoch seconds that move only when told to."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
