"""The outbound URL policy: a channel or webhook may not reach loopback, link-local,
private or otherwise internal addresses unless `WATCHKEEP_ALLOW_PRIVATE_TARGETS` allows it.
A target is checked when it is created or changed, and again right before each delivery on
the addresses its host resolves to then (a name can change what it points at)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from watchkeep.core.errors import WatchkeepError, validation_error

HTTP_SCHEMES = frozenset({"http", "https"})


class TargetRefused(Exception):
    """The target is not allowed; the message says why."""


def is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED_ADDRESS_SPACE)
    )


_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")


def split_target(url: str, schemes: frozenset[str] | None = HTTP_SCHEMES) -> tuple[str, int]:
    """The host and port of `url`; raises TargetRefused when it has none or a wrong scheme."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if schemes is not None and scheme not in schemes:
        raise TargetRefused(f"the URL must start with {' or '.join(sorted(s + '://' for s in schemes))}")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    return parts.hostname, port or (443 if scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"the host {host!r} does not resolve ({exc})") from None
    return sorted({str(info[4][0]) for info in infos})


async def check_host(host: str, port: int, *, allow_private: bool) -> None:
    """Refuse `host` when any address it resolves to is internal (unless allowed)."""
    if allow_private:
        return
    for address in await resolve(host, port):
        if is_internal(address):
            raise TargetRefused(
                f"{host!r} resolves to {address}, a loopback, link-local or private address; "
                "set WATCHKEEP_ALLOW_PRIVATE_TARGETS=true to allow internal targets"
            )


async def check_url(url: str, *, allow_private: bool, schemes: frozenset[str] | None = HTTP_SCHEMES) -> None:
    host, port = split_target(url, schemes)
    await check_host(host, port, allow_private=allow_private)


async def validate_url(
    url: str, field: str, *, allow_private: bool, schemes: frozenset[str] | None = HTTP_SCHEMES
) -> None:
    """`check_url` for input from a client: a refusal is a validation error naming `field`."""
    try:
        await check_url(url, allow_private=allow_private, schemes=schemes)
    except TargetRefused as exc:
        error: WatchkeepError = validation_error(f"{field}: {exc}", field)
        raise error from None
