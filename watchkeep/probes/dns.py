"""DNS: a record of the given type resolves for the name (optionally to an expected value),
asked of the endpoint's nameserver, the hub's default one, or the system's resolvers."""

from __future__ import annotations

import asyncio
import ipaddress
import time

import dns.asyncresolver
import dns.exception
import dns.rdatatype
import dns.resolver

from watchkeep.probes.base import CheckContext, CheckSpec, Outcome, elapsed_ms


def split_nameserver(text: str) -> tuple[str, int]:
    """`10.0.0.53`, `10.0.0.53:5353`, `[fd00::53]:53` or `fd00::53` → (address, port)."""
    text = text.strip()
    if text.startswith("["):
        host, _, port = text[1:].partition("]")
        return host, int(port.lstrip(":") or 53)
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, 53


async def _resolver(nameserver: str, timeout: float) -> dns.asyncresolver.Resolver:
    if not nameserver:
        resolver = dns.asyncresolver.Resolver()
    else:
        host, port = split_nameserver(nameserver)
        try:
            ipaddress.ip_address(host)
            address = host
        except ValueError:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port)
            address = str(infos[0][4][0])
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [address]
        resolver.port = port
    resolver.lifetime = timeout
    resolver.timeout = timeout
    return resolver


def shown_value(text: str) -> str:
    """A record as people write it: no trailing dot, TXT without its quotes."""
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    return text.rstrip(".")


async def check(spec: CheckSpec, context: CheckContext) -> Outcome:
    record_type = str(spec.settings.get("record_type") or "A").upper()
    expected = spec.settings.get("expected")
    nameserver = str(spec.settings.get("nameserver") or context.dns_nameserver)
    started = time.perf_counter()
    try:
        resolver = await _resolver(nameserver, spec.timeout_seconds)
        answer = await resolver.resolve(spec.target, dns.rdatatype.from_text(record_type), raise_on_no_answer=True)
    except dns.resolver.NXDOMAIN:
        return Outcome.down(f"{spec.target} does not exist (NXDOMAIN)", elapsed_ms(started))
    except dns.resolver.NoAnswer:
        return Outcome.down(f"{spec.target} has no {record_type} record", elapsed_ms(started))
    except dns.resolver.LifetimeTimeout:
        return Outcome.down(f"no answer within {spec.timeout_seconds:g} s", elapsed_ms(started))
    except dns.resolver.NoNameservers as exc:
        return Outcome.down(f"no nameserver answered: {exc}", elapsed_ms(started))
    except (dns.exception.DNSException, OSError) as exc:
        return Outcome.down(f"DNS query failed: {exc}", elapsed_ms(started))
    took = elapsed_ms(started)
    values = sorted(shown_value(rdata.to_text()) for rdata in answer)
    if expected:
        wanted = shown_value(str(expected).strip())
        if not any(value.lower() == wanted.lower() for value in values):
            return Outcome.down(f"{record_type} is {', '.join(values)}, expected {wanted}", took)
    return Outcome(True, took)
