"""A small HTTP receiver on loopback that records every request, for tests of everything
that sends out: channels, webhooks. It answers 200 unless told to fail the next requests."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class Captured:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    # False when the sender went away before the answer (see Receiver.delay)
    answered: bool = True

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass
class Receiver:
    url: str = ""
    requests: list[Captured] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    # Seconds to hold each answer back; a sender that disconnects meanwhile gets none
    delay: float = 0.0
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def fail_next(self, *statuses: int) -> None:
        """Answer the next requests with these statuses (then 200 again)."""
        self.failures.extend(statuses)

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[Captured]:
        async with asyncio.timeout(timeout):
            while len(self.requests) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        captured = Captured(scope["method"], scope["path"], headers, body)
        self.requests.append(captured)
        self._arrived.set()
        if self.delay:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.delay):
                    if (await receive())["type"] == "http.disconnect":
                        captured.answered = False
                        return
        status = self.failures.pop(0) if self.failures else 200
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok" if status == 200 else b"try again"})


@contextlib.asynccontextmanager
async def running_receiver(
    host: str = "127.0.0.1", port: int = 0, tls_pem: str | None = None
) -> AsyncIterator[Receiver]:
    """`tls_pem`: a file with the key and certificate chain, to serve HTTPS."""
    receiver = Receiver()
    config = uvicorn.Config(
        receiver,
        host=host,
        port=port,
        log_config=None,
        lifespan="off",
        access_log=False,
        ssl_certfile=tls_pem,
        ssl_keyfile=tls_pem,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    receiver.url = f"{'https' if tls_pem else 'http'}://{host}:{port}"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
