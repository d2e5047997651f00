"""Who is calling: the client address, believing X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import ipaddress

from fastapi import Request


def _in(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for net in networks:
        try:
            if ip in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(request: Request, trusted_proxies: list[str]) -> str:
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies or not _in(peer, trusted_proxies):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    # The nearest hop not run by us is the client; hops a client wrote itself come before it.
    for hop in reversed(hops):
        if not _in(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer


def is_https(request: Request, trusted_proxies: list[str], base_url: str) -> bool:
    if base_url.startswith("https://") or request.scope.get("scheme") == "https":
        return True
    peer = request.client.host if request.client else ""
    proto = request.headers.get("x-forwarded-proto", "")
    return bool(trusted_proxies) and _in(peer, trusted_proxies) and proto == "https"
