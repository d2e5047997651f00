"""The connect step of the outbound HTTP client: the URL policy resolves the name once,
checks every address, and the connection goes to a checked address. The request still
names the host (Host header) and TLS still verifies it (SNI and certificate), because the
connection pool keeps the URL's host as the origin; only the socket gets the address."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpcore2
import httpx2
from httpcore2 import SOCKET_OPTION as SocketOption

from watchkeep.notify.urlpolicy import UrlPolicy

# The pool's limits, as httpx2 sets them by default.
_MAX_CONNECTIONS, _MAX_KEEPALIVE, _KEEPALIVE_SECONDS = 100, 20, 5.0


class PolicyBackend(httpcore2.AsyncNetworkBackend):
    def __init__(self, policy: UrlPolicy) -> None:
        self.policy = policy
        self._inner = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self.policy.addresses(host, port)
        except TimeoutError:
            raise httpcore2.ConnectTimeout(f"resolving {host!r} timed out") from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # `addresses` is never empty
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise httpcore2.ConnectError("outbound deliveries do not use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PolicyTransport(httpx2.AsyncHTTPTransport):
    """httpx2's transport with its connection pool built on `PolicyBackend`. No proxy: a
    proxy would resolve and connect on its own, outside the policy."""

    def __init__(self, policy: UrlPolicy) -> None:
        super().__init__(trust_env=False)
        # httpx2's transport takes no network backend, so its pool is replaced by one that
        # has ours; the transport's request and error mapping stay as they are.
        self._pool = httpcore2.AsyncConnectionPool(
            # SSL_CERT_FILE / SSL_CERT_DIR still name extra trusted CAs, as for any httpx2 client.
            ssl_context=httpx2.create_ssl_context(trust_env=True),
            max_connections=_MAX_CONNECTIONS,
            max_keepalive_connections=_MAX_KEEPALIVE,
            keepalive_expiry=_KEEPALIVE_SECONDS,
            network_backend=PolicyBackend(policy),
        )
