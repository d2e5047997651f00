"""Reading a server's certificate and judging it.

Two handshakes. The first does not verify anything, so an expired, self-signed or otherwise
invalid certificate is still read and shown: it gives the served chain, the TLS version and
the leaf. The second verifies the chain against the trust store (system, or the configured
CA bundle) without checking the name; its error, if any, is the chain's reason. The name is
matched against the leaf's SANs here, so a wrong name and a bad chain are told apart.

Python 3.11 has no public way to read the unverified peer chain (3.13 adds
`SSLObject.get_unverified_chain`); the private `_sslobj.get_unverified_chain()` has existed
since 3.10. Both are used when present; without either, the chain is the leaf alone."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from watchkeep.core.clock import to_ms

_DER = 2  # _ssl.ENCODING_DER

# OpenSSL verify codes (X509_V_ERR_*) and what we call them.
REASONS: dict[int, str] = {
    2: "unknown_issuer",
    9: "not_yet_valid",
    10: "expired",
    18: "self_signed",
    19: "self_signed_in_chain",
    20: "unknown_issuer",
    21: "incomplete_chain",
    23: "revoked",
    24: "invalid_ca",
    26: "invalid_purpose",
    7: "bad_signature",
}


# The same reasons told by OpenSSL's verify message, for checks made elsewhere (an agent
# reports only the message). Longer, more specific messages first.
MESSAGES: tuple[tuple[str, str], ...] = (
    ("in certificate chain", "self_signed_in_chain"),
    ("self-signed certificate", "self_signed"),
    ("self signed certificate", "self_signed"),
    ("not yet valid", "not_yet_valid"),
    ("unable to get local issuer", "unknown_issuer"),
    ("unable to get issuer", "unknown_issuer"),
    ("unable to verify the first certificate", "incomplete_chain"),
    ("revoked", "revoked"),
)


def reason_of_message(message: str) -> str:
    lowered = message.lower()
    return next((reason for text, reason in MESSAGES if text in lowered), "invalid")


@dataclass(frozen=True)
class ChainCert:
    subject: str
    issuer: str
    not_before_ms: int
    not_after_ms: int
    serial: str

    def stored(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "notBeforeMs": self.not_before_ms,
            "notAfterMs": self.not_after_ms,
            "serial": self.serial,
        }


@dataclass(frozen=True)
class Observation:
    """What one check saw. `error` set means no certificate was read at all."""

    duration_ms: float
    error: str | None = None
    subject: str | None = None
    issuer: str | None = None
    sans: list[str] = field(default_factory=list)
    serial: str | None = None
    not_before_ms: int | None = None
    not_after_ms: int | None = None
    tls_version: str | None = None
    key_type: str | None = None
    key_bits: int | None = None
    chain: list[ChainCert] = field(default_factory=list)
    chain_valid: bool | None = None
    # A name from REASONS ("expired", "self_signed", ...), "invalid" for another verify
    # error, "unverified" when the verifying handshake failed for another cause.
    chain_reason: str | None = None
    chain_detail: str | None = None
    hostname_match: bool | None = None


def _name(value: x509.Name) -> str:
    return value.rfc4514_string()


def _key(cert: x509.Certificate) -> tuple[str, int | None]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, None


def _sans(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names: list[str] = list(ext.get_values_for_type(x509.DNSName))
    names.extend(str(ip) for ip in ext.get_values_for_type(x509.IPAddress))
    return names


def _chain_cert(cert: x509.Certificate) -> ChainCert:
    return ChainCert(
        subject=_name(cert.subject),
        issuer=_name(cert.issuer),
        not_before_ms=to_ms(cert.not_valid_before_utc),
        not_after_ms=to_ms(cert.not_valid_after_utc),
        serial=format(cert.serial_number, "x"),
    )


def hostname_matches(name: str, sans: list[str]) -> bool:
    """RFC 6125: an IP matches an IP SAN; a DNS name matches a SAN exactly or a wildcard
    standing for the whole leftmost label (`*.example.com` matches `a.example.com`, not
    `example.com` nor `a.b.example.com`). The subject's CN is not consulted."""
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        ip = None
    if ip is not None:
        return any(_same_ip(ip, san) for san in sans)
    wanted = name.rstrip(".").lower()
    for san in sans:
        pattern = san.rstrip(".").lower()
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted:
            label, rest = wanted.split(".", 1)
            if label and rest == pattern[2:] and "*" not in rest:
                return True
    return False


def _same_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, san: str) -> bool:
    try:
        return ipaddress.ip_address(san) == ip
    except ValueError:
        return False


def _peer_chain(ssl_object: ssl.SSLObject) -> list[bytes]:
    public = getattr(ssl_object, "get_unverified_chain", None)  # Python 3.13+
    if public is not None:
        return [bytes(der) for der in public()]
    inner = getattr(ssl_object, "_sslobj", None)
    private = getattr(inner, "get_unverified_chain", None)
    if private is not None:
        return [cert.public_bytes(_DER) for cert in private() or []]
    leaf = ssl_object.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def _reading_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _verifying_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    else:
        context.load_default_certs()
    return context


async def _handshake(
    host: str, port: int, sni: str, context: ssl.SSLContext, timeout: float
) -> tuple[asyncio.StreamWriter, ssl.SSLObject]:
    server_hostname = None if _is_ip(sni) else sni
    async with asyncio.timeout(timeout):
        _, writer = await asyncio.open_connection(
            host, port, ssl=context, server_hostname=server_hostname or "", ssl_handshake_timeout=timeout
        )
    ssl_object = writer.get_extra_info("ssl_object")
    assert isinstance(ssl_object, ssl.SSLObject)
    return writer, ssl_object


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.wait_closed(), 1)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return str(exc) or type(exc).__name__


async def _verify(
    host: str, port: int, sni: str, ca_file: str | None, timeout: float
) -> tuple[bool, str | None, str | None]:
    try:
        writer, _ = await _handshake(host, port, sni, _verifying_context(ca_file), timeout)
    except ssl.SSLCertVerificationError as exc:
        reason = REASONS.get(exc.verify_code, "invalid")
        return False, reason, exc.verify_message or str(exc)
    except (OSError, TimeoutError) as exc:
        return False, "unverified", _describe(exc)
    await _close(writer)
    return True, None, None


async def observe(host: str, port: int, sni: str | None, *, ca_file: str | None, timeout: float) -> Observation:
    """Connect, read the certificate chain whatever its state, verify it, match the name."""
    name = sni or host
    started = time.perf_counter()
    try:
        writer, ssl_object = await _handshake(host, port, name, _reading_context(), timeout)
    except (OSError, TimeoutError) as exc:
        return Observation(duration_ms=(time.perf_counter() - started) * 1000, error=_describe(exc))
    try:
        chain_der = _peer_chain(ssl_object)
        tls_version = ssl_object.version()
    finally:
        await _close(writer)
    duration_ms = (time.perf_counter() - started) * 1000
    if not chain_der:
        return Observation(duration_ms=duration_ms, error="the server sent no certificate")
    certs = [x509.load_der_x509_certificate(der) for der in chain_der]
    leaf = certs[0]
    key_type, key_bits = _key(leaf)
    sans = _sans(leaf)
    valid, reason, detail = await _verify(host, port, name, ca_file, timeout)
    top = certs[-1]
    if reason == "unknown_issuer" and top.issuer != top.subject:
        detail = (
            f"{detail}: {_name(top.issuer)} was not sent and is not trusted (an incomplete chain, or an unknown CA)"
        )
    return Observation(
        duration_ms=duration_ms,
        subject=_name(leaf.subject),
        issuer=_name(leaf.issuer),
        sans=sans,
        serial=format(leaf.serial_number, "x"),
        not_before_ms=to_ms(leaf.not_valid_before_utc),
        not_after_ms=to_ms(leaf.not_valid_after_utc),
        tls_version=tls_version,
        key_type=key_type,
        key_bits=key_bits,
        chain=[_chain_cert(cert) for cert in certs],
        chain_valid=valid,
        chain_reason=reason,
        chain_detail=detail,
        hostname_match=hostname_matches(name, sans),
    )
