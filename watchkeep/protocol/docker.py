"""The Docker Engine API over its unix socket (or TCP), with httpx2: the one client the hub's
local runtime and the agent share. JSON reads, the `/events` stream, and container logs with
the multiplexed stream decoded into lines of stdout and stderr."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx2

STDOUT = "stdout"
STDERR = "stderr"
_STREAMS = {0: STDOUT, 1: STDOUT, 2: STDERR}  # 0 is stdin, which a log never carries
MULTIPLEXED = "application/vnd.docker.multiplexed-stream"
# A log line longer than this is cut; the engine itself splits lines at 16 KiB.
MAX_LINE = 16 * 1024


class EngineUnavailable(Exception):
    """The engine did not answer, or answered with an error."""


class NoSuchContainer(EngineUnavailable):
    """The engine answered 404 for a container."""


def _transport_for(docker_host: str) -> tuple[httpx2.AsyncHTTPTransport, str]:
    parsed = urlparse(docker_host)
    if parsed.scheme == "unix":
        return httpx2.AsyncHTTPTransport(uds=parsed.path), "http://docker"
    if parsed.scheme in ("tcp", "http"):
        return httpx2.AsyncHTTPTransport(), f"http://{parsed.netloc}"
    raise EngineUnavailable(f"unsupported Docker host {docker_host!r}")


@dataclass(frozen=True)
class LogLine:
    stream: str  # stdout | stderr
    at: str | None  # the engine's RFC 3339 timestamp (nanoseconds), when asked for
    text: str


class FrameDecoder:
    """Splits the engine's multiplexed log stream (8-byte headers: stream, 0, 0, 0, then the
    payload's size big-endian) into lines per stream. A raw stream (a container with a TTY)
    is all stdout. Which of the two a stream is, when not told (older engines name both
    `raw-stream`), is read off its first header. Feed it bytes as they arrive; a line is given
    out once its newline came."""

    def __init__(self, *, multiplexed: bool | None, timestamps: bool) -> None:
        self.multiplexed = multiplexed
        self.timestamps = timestamps
        self._buffer = b""
        self._partial: dict[str, bytes] = {STDOUT: b"", STDERR: b""}

    def feed(self, data: bytes) -> list[LogLine]:
        self._buffer += data
        lines: list[LogLine] = []
        if self.multiplexed is None:
            if len(self._buffer) < 8:
                return lines
            self.multiplexed = self._buffer[0] in _STREAMS and self._buffer[1:4] == b"\0\0\0"
        if not self.multiplexed:
            payload, self._buffer = self._buffer, b""
            lines.extend(self._lines(STDOUT, payload))
            return lines
        while len(self._buffer) >= 8:
            size = int.from_bytes(self._buffer[4:8], "big")
            if len(self._buffer) < 8 + size:
                break
            stream = _STREAMS.get(self._buffer[0], STDOUT)
            payload = self._buffer[8 : 8 + size]
            self._buffer = self._buffer[8 + size :]
            lines.extend(self._lines(stream, payload))
        return lines

    def close(self) -> list[LogLine]:
        """The lines left without a final newline."""
        if self._buffer and not self.multiplexed:
            self.multiplexed = False
            self.feed(b"")
        lines = [self._line(stream, rest) for stream, rest in self._partial.items() if rest]
        self._partial = {STDOUT: b"", STDERR: b""}
        return lines

    def _lines(self, stream: str, payload: bytes) -> Iterator[LogLine]:
        data = self._partial[stream] + payload
        *complete, rest = data.split(b"\n")
        for raw in complete:
            yield self._line(stream, raw)
        if len(rest) > MAX_LINE:
            yield self._line(stream, rest)
            rest = b""
        self._partial[stream] = rest

    def _line(self, stream: str, raw: bytes) -> LogLine:
        text = raw[:MAX_LINE].decode("utf-8", errors="replace").rstrip("\r")
        at = None
        if self.timestamps:
            stamp, _, rest = text.partition(" ")
            if stamp[:1].isdigit() and stamp.endswith("Z"):
                at, text = stamp, rest
        return LogLine(stream, at, text)


@dataclass(frozen=True)
class ImageFacts:
    """What image update checks need of an image: the digests it was pulled by, its labels
    (`org.opencontainers.image.source`), and the platform it was built for."""

    repo_digests: list[str]
    labels: dict[str, str]
    platform: str

    @staticmethod
    def of(inspect: dict[str, Any]) -> ImageFacts:
        config = inspect.get("Config") or {}
        platform = "/".join(
            str(part) for part in (inspect.get("Os"), inspect.get("Architecture"), inspect.get("Variant")) if part
        )
        return ImageFacts(
            repo_digests=[str(d) for d in inspect.get("RepoDigests") or []],
            labels={str(k): str(v) for k, v in (config.get("Labels") or {}).items()},
            platform=platform,
        )


class ImageFactsCache:
    """Image id → its facts; an image is inspected once while containers run it."""

    def __init__(self) -> None:
        self._facts: dict[str, ImageFacts] = {}

    async def facts(self, client: EngineClient, image_ids: Iterable[str]) -> dict[str, ImageFacts]:
        wanted = {image_id for image_id in image_ids if image_id}
        for gone in set(self._facts) - wanted:
            del self._facts[gone]
        for image_id in wanted - set(self._facts):
            try:
                self._facts[image_id] = ImageFacts.of(await client.image(image_id))
            except EngineUnavailable:
                continue  # removed meanwhile, or the engine is busy: asked again next time
        return dict(self._facts)

    def known(self) -> list[str]:
        return list(self._facts)


class EngineClient:
    """One connection pool to one engine. Reads time out after `timeout`; the streams
    (`events`, followed logs) wait as long as the engine stays silent."""

    def __init__(self, docker_host: str, timeout: float = 10.0) -> None:
        transport, base_url = _transport_for(docker_host)
        self.docker_host = docker_host
        self._timeout = timeout
        self._client = httpx2.AsyncClient(transport=transport, base_url=base_url, timeout=timeout)

    async def __aenter__(self) -> EngineClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(self, path: str, **params: str) -> Any:
        try:
            response = await self._client.get(path, params=params or None)
        except httpx2.HTTPError as exc:
            raise EngineUnavailable(str(exc) or type(exc).__name__) from exc
        if response.status_code == 404 and path.startswith("/containers/"):
            raise NoSuchContainer(f"{path} answered 404")
        if response.status_code >= 400:
            raise EngineUnavailable(f"{path} answered {response.status_code}")
        return response.json()

    async def version(self) -> dict[str, Any]:
        return dict(await self.get("/version"))

    async def containers(self) -> list[dict[str, Any]]:
        """Every container, running or not (`docker ps -a`)."""
        return list(await self.get("/containers/json", all="1"))

    async def inspect(self, container_id: str) -> dict[str, Any]:
        return dict(await self.get(f"/containers/{container_id}/json"))

    async def image(self, image_id: str) -> dict[str, Any]:
        """The image's inspect (`docker image inspect`)."""
        return dict(await self.get(f"/images/{image_id}/json"))

    async def events(
        self,
        *,
        since: int | None = None,
        kinds: tuple[str, ...] = ("container",),
        opened: asyncio.Event | None = None,
    ) -> AsyncGenerator[dict[str, Any]]:
        """The engine's events as they happen (from `since`, epoch seconds, when given),
        until the connection drops: that raises EngineUnavailable. `opened` is set once the
        engine answered, from when on no event is missed (the engine may stay silent long)."""
        params = {"filters": json.dumps({"type": list(kinds)})}
        if since is not None:
            params["since"] = str(since)
        try:
            async with self._client.stream(
                "GET", "/events", params=params, timeout=httpx2.Timeout(self._timeout, read=None)
            ) as response:
                if response.status_code >= 400:
                    raise EngineUnavailable(f"/events answered {response.status_code}")
                if opened is not None:
                    opened.set()
                async for line in response.aiter_lines():
                    if line.strip():
                        yield json.loads(line)
        except httpx2.HTTPError as exc:
            raise EngineUnavailable(str(exc) or type(exc).__name__) from exc
        raise EngineUnavailable("the event stream ended")

    async def logs(
        self,
        container_id: str,
        *,
        tail: int | None = None,
        since: int | None = None,
        stdout: bool = True,
        stderr: bool = True,
        follow: bool = False,
    ) -> AsyncIterator[LogLine]:
        """A container's log lines, oldest first, each with its timestamp: the last `tail`
        lines, or those since `since` (epoch seconds); with `follow`, then the new ones as
        they come, until the container stops or the caller stops reading."""
        params = {
            "stdout": "1" if stdout else "0",
            "stderr": "1" if stderr else "0",
            "timestamps": "1",
            "follow": "1" if follow else "0",
            "tail": "all" if tail is None else str(tail),
        }
        if since is not None:
            params["since"] = str(since)
        timeout = httpx2.Timeout(self._timeout, read=None) if follow else self._timeout
        path = f"/containers/{container_id}/logs"
        try:
            async with self._client.stream("GET", path, params=params, timeout=timeout) as response:
                if response.status_code == 404:
                    raise NoSuchContainer(f"{path} answered 404")
                if response.status_code >= 400:
                    raise EngineUnavailable(f"{path} answered {response.status_code}")
                kind = response.headers.get("content-type", "")
                decoder = FrameDecoder(multiplexed=True if kind.startswith(MULTIPLEXED) else None, timestamps=True)
                async for chunk in response.aiter_bytes():
                    for line in decoder.feed(chunk):
                        yield line
                for line in decoder.close():
                    yield line
        except httpx2.HTTPError as exc:
            raise EngineUnavailable(str(exc) or type(exc).__name__) from exc
