"""What a target looks like for each type: a URL for http, `host:port` for tcp and tls, a
host name or address for dns and icmp. Checked on write, with the field named."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$"
)


def is_host(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return _HOSTNAME.match(text) is not None


def check_target(kind: str, target: str) -> str | None:
    """Why `target` is no target of `kind`, or None when it is one."""
    if kind == "http":
        try:
            parts = urlsplit(target)
            port = parts.port
        except ValueError as exc:
            return f"not a URL: {exc}"
        if parts.scheme not in ("http", "https"):
            return "an http endpoint's target is an http:// or https:// URL"
        if not parts.hostname:
            return "the URL names no host"
        if port is not None and not 0 < port < 65536:
            return "the port is out of range"
        return None
    if kind in ("tcp", "tls"):
        host, sep, port_text = target.rpartition(":")
        if not sep or not port_text.isdigit():
            return f"a {kind} endpoint's target is host:port (e.g. db.internal:5432, [::1]:443)"
        if not 0 < int(port_text) < 65536:
            return "the port is out of range (1-65535)"
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
            try:
                ipaddress.IPv6Address(host)
            except ValueError:
                return f"{host!r} is not an IPv6 address"
            return None
        if ":" in host:
            return "write an IPv6 address in brackets: [::1]:443"
        return None if host and is_host(host) else f"{host!r} is not a host name or address"
    if not is_host(target):
        return f"a {kind} endpoint's target is a host name or address (no scheme, no port)"
    return None
