"""The outbound URL policy: a channel or webhook may not reach loopback, link-local,
private or otherwise internal addresses unless `WATCHKEEP_ALLOW_PRIVATE_TARGETS` allows them
(or `WATCHKEEP_ALLOWED_TARGET_NETWORKS` names the network).

A target is checked when it is created or changed, and at each delivery the senders resolve
its name once through the policy, check every address, and connect to a checked address: a
name that answers differently the second time (DNS rebinding) never gets a connection."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from watchkeep.core.config import Settings
from watchkeep.core.errors import WatchkeepError, validation_error
from watchkeep.core.hub import Hub

HTTP_SCHEMES = frozenset({"http", "https"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# host, port → the addresses the name stands for, best first
Resolver = Callable[[str, int], Awaitable[list[str]]]

_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


class TargetRefused(Exception):
    """The target is not allowed; the message says why (and never what a name resolved to)."""


class TargetUnresolved(TargetRefused):
    """The name did not resolve: at delivery, possibly a passing DNS failure."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address leads to through a transition mechanism."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        found.append(ipaddress.IPv4Address(int(ip)))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64[0]:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _internal_ip(ip: IPAddress) -> bool:
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED_ADDRESS_SPACE)
    )


def parse_address(address: str) -> IPAddress:
    return ipaddress.ip_address(address.split("%", 1)[0])


def is_internal(address: str) -> bool:
    """Whether `address` (or an IPv4 address it embeds: mapped, compatible, 6to4, Teredo,
    NAT64) is loopback, private, link-local, multicast, reserved or unspecified."""
    ip = parse_address(address)
    if _internal_ip(ip):
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in _NAT64[1:]):
            return True
        return any(_internal_ip(inner) for inner in _embedded_ipv4(ip))
    return False


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


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer for `host`, in its order of preference."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse_networks(values: Iterable[str]) -> list[IPNetwork]:
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


class UrlPolicy:
    """Which addresses outbound deliveries may reach, and the one place names are resolved
    for them. `resolver` is a seam: tests answer names themselves."""

    def __init__(
        self,
        *,
        allow_private: bool,
        allowed_networks: Iterable[IPNetwork] = (),
        resolver: Resolver = system_resolver,
    ) -> None:
        self.allow_private = allow_private
        self.allowed_networks = tuple(allowed_networks)
        self.resolver = resolver

    @classmethod
    def from_settings(cls, settings: Settings) -> UrlPolicy:
        return cls(
            allow_private=settings.allow_private_targets,
            allowed_networks=parse_networks(settings.allowed_target_networks),
        )

    def address_allowed(self, address: str) -> bool:
        if self.allow_private:
            return True
        try:
            ip = parse_address(address)
        except ValueError:
            return False
        if any(ip in network for network in self.allowed_networks if network.version == ip.version):
            return True
        return not is_internal(address)

    async def addresses(self, host: str, port: int) -> list[str]:
        """Resolve `host` once and return its addresses, all of them checked; raises
        TargetRefused when it does not resolve or any address is internal."""
        try:
            literal: IPAddress | None = parse_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                found = await self.resolver(host, port)
            except (OSError, UnicodeError):
                raise TargetUnresolved(f"the host {host!r} does not resolve") from None
            if not found:
                raise TargetUnresolved(f"the host {host!r} does not resolve")
        for address in found:
            if not self.address_allowed(address):
                where = f"{host!r} is" if literal is not None else f"{host!r} resolves to"
                raise TargetRefused(
                    f"{where} a loopback, link-local, private or reserved address; "
                    "set WATCHKEEP_ALLOW_PRIVATE_TARGETS=true (or WATCHKEEP_ALLOWED_TARGET_NETWORKS) "
                    "to allow internal targets"
                )
        return found

    async def check_url(self, url: str, schemes: frozenset[str] | None = HTTP_SCHEMES) -> None:
        host, port = split_target(url, schemes)
        if not self.allow_private:
            await self.addresses(host, port)

    async def validate_url(self, url: str, field: str, schemes: frozenset[str] | None = HTTP_SCHEMES) -> None:
        """`check_url` for input from a client: a refusal is a validation error naming `field`."""
        try:
            await self.check_url(url, schemes)
        except TargetRefused as exc:
            error: WatchkeepError = validation_error(f"{field}: {exc}", field)
            raise error from None


class _HubPolicy:
    def __init__(self) -> None:
        self.policy: UrlPolicy | None = None


def policy_for(hub: Hub) -> UrlPolicy:
    """The hub's one URL policy, shared by validation and every sender."""
    entry = hub.local(_HubPolicy)
    if entry.policy is None:
        entry.policy = UrlPolicy.from_settings(hub.settings)
    return entry.policy
