"""TCP, TLS, DNS and ICMP checks against real servers on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.endpoints.conftest import Endpoints
from tests.endpoints.servers import certificate_files, closed_port, dns_server, tls_server
from watchkeep.probes.icmp import NOT_ALLOWED

RECORDS = {
    ("web.test", "A"): ["10.1.2.3", "10.1.2.4"],
    ("web.test", "TXT"): ['"v=spf1 -all"'],
    ("alias.test", "CNAME"): ["web.test."],
}


async def test_a_listening_tcp_port_is_up_and_a_closed_one_down(endpoints: Endpoints) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        listening = await endpoints.create(type="tcp", target=f"127.0.0.1:{port}")
        assert (await endpoints.check(listening["id"]))["status"] == "up"
    finally:
        server.close()
        await server.wait_closed()
    closed = await endpoints.create(type="tcp", target=f"127.0.0.1:{closed_port()}")
    result = await endpoints.check(closed["id"])
    assert result["status"] == "down"
    assert result["error"].startswith("cannot connect")


async def test_a_tls_handshake_with_an_untrusted_certificate_fails_with_verify_and_passes_without(
    endpoints: Endpoints, tmp_path: Path
) -> None:
    async with tls_server(certificate_files(tmp_path, "localhost")) as port:
        verified = await endpoints.create(type="tls", target=f"localhost:{port}")
        unverified = await endpoints.create(type="tls", target=f"localhost:{port}", tls={"verify": False})
        failed = await endpoints.check(verified["id"])
        passed = await endpoints.check(unverified["id"])
    assert failed["status"] == "down"
    assert failed["error"].startswith("certificate not trusted")
    assert passed["status"] == "up"


async def test_a_dns_record_resolves_on_the_endpoints_nameserver(endpoints: Endpoints) -> None:
    async with dns_server(RECORDS) as (nameserver, seen):
        endpoint = await endpoints.create(
            type="dns", target="web.test", dns={"recordType": "A", "expected": "10.1.2.4", "nameserver": nameserver}
        )
        result = await endpoints.check(endpoint["id"])
    assert result["status"] == "up", result["error"]
    assert seen.queries == ["web.test A"]


async def test_a_dns_record_with_another_value_than_expected_is_down_showing_both(endpoints: Endpoints) -> None:
    async with dns_server(RECORDS) as (nameserver, _):
        endpoint = await endpoints.create(
            type="dns", target="web.test", dns={"recordType": "A", "expected": "10.9.9.9", "nameserver": nameserver}
        )
        result = await endpoints.check(endpoint["id"])
    assert result["status"] == "down"
    assert result["error"] == "A is 10.1.2.3, 10.1.2.4, expected 10.9.9.9"


async def test_txt_and_cname_records_compare_as_people_write_them(endpoints: Endpoints) -> None:
    async with dns_server(RECORDS) as (nameserver, _):
        txt = await endpoints.create(
            type="dns",
            target="web.test",
            dns={"recordType": "TXT", "expected": "v=spf1 -all", "nameserver": nameserver},
        )
        cname = await endpoints.create(
            type="dns",
            target="alias.test",
            dns={"recordType": "cname", "expected": "web.test", "nameserver": nameserver},
        )
        assert (await endpoints.check(txt["id"]))["status"] == "up"
        assert (await endpoints.check(cname["id"]))["status"] == "up"


async def test_a_missing_name_and_a_missing_record_type_are_down_with_the_reason(endpoints: Endpoints) -> None:
    async with dns_server(RECORDS) as (nameserver, _):
        unknown = await endpoints.create(type="dns", target="nowhere.test", dns={"nameserver": nameserver})
        no_aaaa = await endpoints.create(
            type="dns", target="web.test", dns={"recordType": "AAAA", "nameserver": nameserver}
        )
        assert (await endpoints.check(unknown["id"]))["error"] == "nowhere.test does not exist (NXDOMAIN)"
        assert (await endpoints.check(no_aaaa["id"]))["error"] == "web.test has no AAAA record"


async def test_the_hubs_default_nameserver_is_asked_when_the_endpoint_names_none(
    database_url: str, settings_for: object, clock: object
) -> None:
    from tests.endpoints.conftest import QUIET, Endpoints, serve_recording
    from watchkeep.core.clock import FrozenClock

    assert isinstance(clock, FrozenClock)
    async with dns_server(RECORDS) as (nameserver, seen):
        settings = settings_for(database_url, endpoint_dns_nameserver=nameserver, **QUIET)  # type: ignore[operator]
        async with serve_recording(settings, clock, []) as running:
            endpoints = Endpoints(running, clock)
            endpoint = await endpoints.create(type="dns", target="web.test")
            assert (await endpoints.check(endpoint["id"]))["status"] == "up"
    assert seen.queries == ["web.test A"]


def _unprivileged_icmp_allowed() -> bool:
    import os

    low, high = (int(part) for part in Path("/proc/sys/net/ipv4/ping_group_range").read_text().split())
    return any(low <= group <= high for group in [*os.getgroups(), os.getgid()])


@pytest.mark.skipif(not _unprivileged_icmp_allowed(), reason="this kernel forbids unprivileged ICMP to our groups")
async def test_icmp_echo_to_loopback_is_up(endpoints: Endpoints) -> None:
    endpoint = await endpoints.create(type="icmp", target="127.0.0.1", timeoutSeconds=2)
    result = await endpoints.check(endpoint["id"])
    assert result["status"] == "up", result["error"]


@pytest.mark.skipif(_unprivileged_icmp_allowed(), reason="this kernel allows unprivileged ICMP to our groups")
async def test_icmp_where_the_kernel_forbids_it_is_down_saying_how_to_allow_it(endpoints: Endpoints) -> None:
    endpoint = await endpoints.create(type="icmp", target="127.0.0.1", timeoutSeconds=2)
    result = await endpoints.check(endpoint["id"])
    assert (result["status"], result["error"]) == ("down", NOT_ALLOWED)
