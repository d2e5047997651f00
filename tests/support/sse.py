"""A server-sent events client for tests: frames parsed as a browser's EventSource would."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx2


@dataclass(frozen=True)
class SseFrame:
    id: int | None
    event: str
    data: dict[str, Any]


class SseStream:
    def __init__(self, response: httpx2.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()
        self.comments: list[str] = []

    async def next(self, timeout: float = 15) -> SseFrame:
        """The next frame (comments are kept aside)."""
        async with asyncio.timeout(timeout):
            fields: dict[str, str] = {}
            async for line in self._lines:
                if line == "":
                    if "data" in fields or "event" in fields:
                        raw_id = fields.get("id")
                        data = json.loads(fields["data"]) if "data" in fields else {}
                        return SseFrame(int(raw_id) if raw_id else None, fields.get("event", "message"), data)
                    continue
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                    continue
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            raise EOFError("the stream ended")

    async def until(self, done: Callable[[list[SseFrame]], bool], timeout: float = 15) -> list[SseFrame]:
        """Frames read until `done(frames so far)` holds."""
        frames: list[SseFrame] = []
        async with asyncio.timeout(timeout):
            while not done(frames):
                frames.append(await self.next(timeout))
        return frames


@contextlib.asynccontextmanager
async def open_stream(
    base_url: str,
    key: str,
    *,
    path: str = "/api/v1/events",
    params: dict[str, str] | None = None,
    last_event_id: int | None = None,
) -> AsyncIterator[SseStream]:
    headers = {"X-API-Key": key}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    async with (
        httpx2.AsyncClient(base_url=base_url, timeout=httpx2.Timeout(30, read=60)) as client,
        client.stream("GET", path, headers=headers, params=params) as response,
    ):
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield SseStream(response)
