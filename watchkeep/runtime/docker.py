"""A small Docker Engine API client over the unix socket (or TCP), with httpx2."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import httpx2


class DockerUnavailable(Exception):
    pass


def _transport_for(docker_host: str) -> tuple[httpx2.AsyncHTTPTransport, str]:
    parsed = urlparse(docker_host)
    if parsed.scheme == "unix":
        return httpx2.AsyncHTTPTransport(uds=parsed.path), "http://docker"
    if parsed.scheme in ("tcp", "http"):
        return httpx2.AsyncHTTPTransport(), f"http://{parsed.netloc}"
    raise DockerUnavailable(f"unsupported Docker host {docker_host!r}")


class DockerClient:
    def __init__(self, docker_host: str, timeout: float = 5.0) -> None:
        transport, base_url = _transport_for(docker_host)
        self._client = httpx2.AsyncClient(transport=transport, base_url=base_url, timeout=timeout)

    async def __aenter__(self) -> DockerClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get_json(self, path: str, **params: Any) -> Any:
        try:
            response = await self._client.get(path, params=params or None)
        except httpx2.HTTPError as exc:
            raise DockerUnavailable(str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise DockerUnavailable(f"{path} answered {response.status_code}")
        return response.json()

    async def version(self) -> dict[str, Any]:
        data = await self.get_json("/version")
        return dict(data)
