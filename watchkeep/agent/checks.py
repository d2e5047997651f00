"""Local checks: HTTP health, TCP connect and TLS certificate, run by the agent next to the
services they watch. A check never raises; its failure is the result."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx2

from watchkeep.agent.config import HttpCheck, LocalChecks, TcpCheck
from watchkeep.protocol.ingest import CertCheckResult, ServiceConfig, ServiceHealthCheck, TcpCheckResult

LOCAL = "local"  # containerName of checks configured on the agent itself


def _now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 2)


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


async def http_check(client: httpx2.AsyncClient, container: str, check: HttpCheck) -> ServiceHealthCheck:
    started = time.monotonic()
    checked_at = _now_rfc3339()
    try:
        response = await client.get(check.url, timeout=check.timeout_seconds)
    except (httpx2.HTTPError, OSError) as exc:
        return ServiceHealthCheck(
            container_name=container,
            health_check_url=check.url,
            success=False,
            duration_ms=_elapsed_ms(started),
            checked_at=checked_at,
            error=_describe(exc),
        )
    success = response.status_code == check.expected_status
    return ServiceHealthCheck(
        container_name=container,
        health_check_url=check.url,
        success=success,
        status_code=response.status_code,
        duration_ms=_elapsed_ms(started),
        checked_at=checked_at,
        error=None if success else f"expected status {check.expected_status}, got {response.status_code}",
    )


async def tcp_check(container: str, check: TcpCheck) -> TcpCheckResult:
    started = time.monotonic()
    error: str | None = None
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(check.host, check.port), check.timeout_seconds)
    except TimeoutError:
        error = f"no connection within {check.timeout_seconds} s"
    except OSError as exc:
        error = _describe(exc)
    else:
        writer.close()
        await _closed(writer)
    return TcpCheckResult(
        container_name=container,
        host=check.host,
        port=check.port,
        name=check.name,
        success=error is None,
        duration_ms=_elapsed_ms(started),
        error=error,
    )


async def _closed(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()


@dataclass
class _Handshake:
    der: bytes | None = None
    error: str | None = None
    verification_failed: bool = False


async def _handshake(host: str, port: int, context: ssl.SSLContext, timeout: float) -> _Handshake:
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host), timeout
        )
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        if isinstance(exc, TimeoutError):
            return _Handshake(error=f"no TLS handshake within {timeout} s")
        if isinstance(exc, ssl.SSLCertVerificationError):
            return _Handshake(error=exc.verify_message or _describe(exc), verification_failed=True)
        return _Handshake(error=_describe(exc))
    ssl_object = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    writer.close()
    await _closed(writer)
    return _Handshake(der=der)


@dataclass
class CertChecker:
    """Verifies chain and hostname with `trust` (the system store by default); when that fails
    the certificate is still read, unverified, to report its expiry, issuer and subject."""

    trust: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    async def check(self, container: str, check: TcpCheck) -> CertCheckResult:
        started = time.monotonic()
        verified = await _handshake(check.host, check.port, self.trust, check.timeout_seconds)
        der, error = verified.der, verified.error
        if verified.verification_failed:
            insecure = ssl.create_default_context()
            insecure.check_hostname = False
            insecure.verify_mode = ssl.CERT_NONE
            der = (await _handshake(check.host, check.port, insecure, check.timeout_seconds)).der
        result = CertCheckResult(
            container_name=container,
            host=check.host,
            port=check.port,
            name=check.name,
            success=False,
            duration_ms=0.0,
            error=error,
        )
        if der is not None:
            # imported here: an agent without certificate checks never loads cryptography
            from cryptography import x509

            cert = x509.load_der_x509_certificate(der)
            expires = cert.not_valid_after_utc
            result.expires_at = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
            result.days_until_expiry = round((expires - datetime.now(UTC)).total_seconds() / 86400, 2)
            result.issuer = cert.issuer.rfc4514_string()
            result.subject = cert.subject.rfc4514_string()
            if error is None and result.days_until_expiry <= 0:
                result.error = "certificate expired"
        result.success = result.error is None
        result.duration_ms = _elapsed_ms(started)
        return result


@dataclass
class CheckResults:
    http: list[ServiceHealthCheck] = field(default_factory=list)
    tcp: list[TcpCheckResult] = field(default_factory=list)
    certs: list[CertCheckResult] = field(default_factory=list)


class CheckRunner:
    def __init__(self, local: LocalChecks, certs: CertChecker | None = None) -> None:
        self.local = local
        self.certs = certs or CertChecker()
        self._client = httpx2.AsyncClient(follow_redirects=False)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def run(self, hub_services: list[ServiceConfig], tcp: bool = True, certs: bool = True) -> CheckResults:
        http_jobs = [http_check(self._client, LOCAL, c) for c in self.local.http]
        tcp_jobs = [tcp_check(LOCAL, c) for c in self.local.tcp] if tcp else []
        cert_jobs = [self.certs.check(LOCAL, c) for c in self.local.tls] if certs else []
        for service in hub_services:
            name = service.container_name
            if service.health_check_url:
                http_jobs.append(http_check(self._client, name, HttpCheck(name=name, url=service.health_check_url)))
            if tcp:
                tcp_jobs += [
                    tcp_check(name, TcpCheck(host=t.host, port=t.port, name=t.name)) for t in service.tcp_checks
                ]
            if certs:
                cert_jobs += [
                    self.certs.check(name, TcpCheck(host=t.host, port=t.port, name=t.name)) for t in service.cert_checks
                ]
        http_results = await asyncio.gather(*http_jobs)
        tcp_results = await asyncio.gather(*tcp_jobs)
        cert_results = await asyncio.gather(*cert_jobs)
        return CheckResults(list(http_results), list(tcp_results), list(cert_results))
