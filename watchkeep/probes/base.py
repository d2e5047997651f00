"""What a check is given and what it gives back."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx2


@dataclass(frozen=True)
class Outcome:
    up: bool
    response_ms: float | None = None
    http_status: int | None = None
    error: str | None = None

    @classmethod
    def down(cls, error: str, response_ms: float | None = None, http_status: int | None = None) -> Outcome:
        return cls(False, response_ms, http_status, error)


@dataclass(frozen=True)
class CheckSpec:
    """An endpoint as its check needs it: header secrets opened, settings of its type."""

    endpoint_id: str
    type: str
    target: str
    timeout_seconds: float
    settings: dict[str, Any] = field(default_factory=dict)


class CheckContext:
    """What checks share within one hub: HTTP clients (one per TLS verification and address
    family, their connections never reused) and the default nameserver."""

    def __init__(self, *, dns_nameserver: str = "") -> None:
        self.dns_nameserver = dns_nameserver
        self._clients: dict[tuple[bool, str], httpx2.AsyncClient] = {}

    def http_client(self, *, verify: bool, ip_family: str) -> httpx2.AsyncClient:
        key = (verify, ip_family)
        client = self._clients.get(key)
        if client is None:
            local = {"ipv4": "0.0.0.0", "ipv6": "::"}.get(ip_family)
            transport = httpx2.AsyncHTTPTransport(
                verify=verify,
                local_address=local,
                # Endpoints are checked as they are, not through the hub's proxy settings.
                trust_env=False,
                # No connection is kept for the next check: each check connects afresh, so its
                # response time includes connecting (and the TLS handshake) as a visitor's
                # would, and a server that stopped accepting connections is seen at once.
                limits=httpx2.Limits(max_connections=None, max_keepalive_connections=0),
            )
            client = httpx2.AsyncClient(transport=transport, follow_redirects=False, trust_env=False)
            self._clients[key] = client
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def split_host_port(target: str) -> tuple[str, int]:
    """`host:port` or `[v6]:port` (validated on write)."""
    host, _, port = target.rpartition(":")
    return host.strip("[]"), int(port)
