"""Local checks against real servers on loopback: HTTP, TCP and TLS (certificates from trustme)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
import trustme

from tests.agent.loopback import LoopbackHub, serving
from tests.support.process import free_port
from watchkeep.agent.checks import LOCAL, CertChecker, CheckRunner, http_check, tcp_check
from watchkeep.agent.config import HttpCheck, LocalChecks, TcpCheck
from watchkeep.protocol.ingest import CheckTarget, ServiceConfig


def _closed_port() -> int:
    return free_port()  # bound and released: nothing listens there


async def test_an_http_check_reports_status_and_success() -> None:
    port = free_port()
    async with serving(LoopbackHub(), port) as url, httpx2.AsyncClient() as client:
        # GET on a POST-only route answers 405: a real status to compare against
        wrong = await http_check(client, "web", HttpCheck(name="web", url=f"{url}/api/metrics/ingest"))
        right = await http_check(
            client, "web", HttpCheck(name="web", url=f"{url}/api/metrics/ingest", expected_status=405)
        )
    assert (wrong.success, wrong.status_code) == (False, 405)
    assert wrong.error == "expected status 200, got 405"
    assert (right.success, right.status_code, right.error) == (True, 405, None)
    assert right.checked_at is not None and right.checked_at.endswith("Z") and right.duration_ms is not None


async def test_an_http_check_to_a_closed_port_fails_with_the_reason() -> None:
    async with httpx2.AsyncClient() as client:
        result = await http_check(client, LOCAL, HttpCheck(name="x", url=f"http://127.0.0.1:{_closed_port()}/"))
    assert result.success is False and result.status_code is None and result.error


async def test_tcp_checks_tell_an_open_port_from_a_closed_one() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        open_result = await tcp_check("db", TcpCheck(host="127.0.0.1", port=port, name="pg"))
    closed_result = await tcp_check("db", TcpCheck(host="127.0.0.1", port=_closed_port()))
    assert (open_result.success, open_result.name, open_result.error) == (True, "pg", None)
    assert closed_result.success is False and closed_result.error


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@asynccontextmanager
async def tls_server(ca: trustme.CA, *names: str, not_after: datetime | None = None) -> AsyncIterator[int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, not_after=not_after).configure_cert(context)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def _checker(ca: trustme.CA) -> CertChecker:
    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    return CertChecker(trust)


def _target(port: int, host: str = "localhost") -> TcpCheck:
    return TcpCheck(host=host, port=port, name="site")


async def test_a_valid_certificate_reports_expiry_issuer_and_subject(ca: trustme.CA) -> None:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    async with tls_server(ca, "localhost", not_after=expires) as port:
        result = await _checker(ca).check("web", _target(port))
    assert result.success is True and result.error is None
    assert result.expires_at == expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert result.days_until_expiry == pytest.approx(30, abs=0.01)
    assert result.issuer is not None and "trustme" in result.issuer
    assert result.subject is not None and result.subject != result.issuer


async def test_a_hostname_mismatch_fails_but_still_reports_the_certificate(ca: trustme.CA) -> None:
    async with tls_server(ca, "other.example") as port:
        result = await _checker(ca).check("web", _target(port))
    assert result.success is False
    assert "hostname" in (result.error or "").lower()
    assert result.expires_at is not None and result.days_until_expiry is not None


async def test_an_untrusted_chain_fails(ca: trustme.CA) -> None:
    async with tls_server(ca, "localhost") as port:
        result = await CertChecker().check("web", _target(port))  # the system store does not know this CA
    assert result.success is False and "certificate" in (result.error or "").lower()
    assert result.subject is not None


async def test_an_expired_certificate_fails_with_negative_days(ca: trustme.CA) -> None:
    async with tls_server(ca, "localhost", not_after=datetime.now(UTC) - timedelta(days=2)) as port:
        result = await _checker(ca).check("web", _target(port))
    assert result.success is False and "expired" in (result.error or "")
    assert result.days_until_expiry is not None and result.days_until_expiry < -1


async def test_the_runner_merges_local_checks_and_the_hubs_under_their_container_names() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        runner = CheckRunner(LocalChecks(tcp=[TcpCheck(host="127.0.0.1", port=port, name="local-one")]))
        hub_services = [ServiceConfig(container_name="api", tcp_checks=[CheckTarget(host="127.0.0.1", port=port)])]
        results = await runner.run(hub_services)
        skipped = await runner.run(hub_services, tcp=False)
        await runner.aclose()
    assert [(r.container_name, r.success) for r in results.tcp] == [(LOCAL, True), ("api", True)]
    assert skipped.tcp == []
