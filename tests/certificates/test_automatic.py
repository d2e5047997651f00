"""Automatic monitors: one per https endpoint (track/untrack, called by the endpoints domain
in its own write unit) and one per certificate check an agent reports."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from tests.agents.support import NATIVE_EXAMPLE, bearer, create_agent, example
from tests.certificates.conftest import Certificates
from watchkeep.certificates.service import track_endpoint, untrack_endpoint


async def _list(certificates: Certificates) -> list[dict[str, Any]]:
    response = await certificates.api.get("/api/v1/certificates")
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()
    return items


async def _track(certificates: Certificates, endpoint_id: str, port: int, sni: str | None = "localhost") -> None:
    now = certificates.clock.now_ms()

    async def unit(conn: AsyncConnection) -> None:
        await track_endpoint(conn, endpoint_id, "127.0.0.1", port, sni, now_ms=now)

    await certificates.running.hub.store.write(unit)


async def _untrack(certificates: Certificates, endpoint_id: str) -> None:
    now = certificates.clock.now_ms()

    async def unit(conn: AsyncConnection) -> None:
        await untrack_endpoint(conn, endpoint_id, now_ms=now)

    await certificates.running.hub.store.write(unit)


async def test_an_https_endpoint_gets_a_monitor_checked_by_the_hub(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued()) as server:
        await _track(certificates, "ep_1", server.port)
        await _track(certificates, "ep_1", server.port)  # idempotent
        await certificates.check()
    [monitor] = await _list(certificates)
    assert (monitor["source"], monitor["endpointId"], monitor["status"]) == ("endpoint", "ep_1", "valid")
    put = await certificates.api.put(f"/api/v1/certificates/{monitor['id']}", json={"host": "example.org"})
    assert put.status_code == 409
    delete = await certificates.api.delete(f"/api/v1/certificates/{monitor['id']}")
    assert delete.status_code == 409


async def test_a_changed_endpoint_target_is_checked_again_at_once(certificates: Certificates) -> None:
    await _track(certificates, "ep_1", 1)
    await certificates.check()
    async with certificates.server(certificates.issued()) as server:
        await _track(certificates, "ep_1", server.port)
        await certificates.check()
    [monitor] = await _list(certificates)
    assert (monitor["port"], monitor["status"]) == (server.port, "valid")


async def test_untracking_an_endpoint_removes_its_monitor_and_resolves_its_alerts(
    certificates: Certificates,
) -> None:
    async with certificates.server(certificates.issued("other.example")) as server:
        await _track(certificates, "ep_1", server.port)
        await certificates.check()
    assert set(await certificates.active()) == {"certificate_hostname_mismatch"}
    await _untrack(certificates, "ep_1")
    await _untrack(certificates, "ep_unknown")  # nothing to do
    assert await _list(certificates) == []
    assert await certificates.active() == {}


def _payload(*results: dict[str, Any]) -> bytes:
    payload = example(NATIVE_EXAMPLE)
    payload["certCheckResults"] = list(results)
    return json.dumps(payload).encode()


def _result(**fields: Any) -> dict[str, Any]:
    return {
        "containerName": "shop",
        "host": "shop.example.org",
        "port": 443,
        "success": True,
        "durationMs": 12,
        **fields,
    }


async def _push(certificates: Certificates, token: str, *results: dict[str, Any]) -> None:
    response = await certificates.running.client().post(
        "/api/metrics/ingest",
        content=_payload(*results),
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


async def test_an_agents_reported_certificate_becomes_a_monitor(certificates: Certificates) -> None:
    agent = await create_agent(certificates.running)
    await _push(
        certificates,
        agent["token"],
        _result(daysUntilExpiry=60.5, issuer="CN=Let's Encrypt R3", subject="CN=shop.example.org"),
    )
    [monitor] = await _list(certificates)
    assert (monitor["source"], monitor["agentId"]) == ("agent", agent["id"])
    assert (monitor["host"], monitor["port"], monitor["status"]) == ("shop.example.org", 443, "valid")
    assert monitor["daysLeft"] == 60
    assert monitor["issuer"] == "CN=Let's Encrypt R3"
    assert monitor["nextCheckAt"] is None  # the agent checks it, not the hub


async def test_an_agents_results_raise_and_clear_the_same_alerts(certificates: Certificates) -> None:
    agent = await create_agent(certificates.running)
    await _push(certificates, agent["token"], _result(daysUntilExpiry=5.2))
    assert set(await certificates.active()) == {"certificate_expiring"}
    mismatch = "Hostname mismatch, certificate is not valid for 'shop.example.org'."
    await _push(certificates, agent["token"], _result(success=False, daysUntilExpiry=5.1, error=mismatch))
    assert set(await certificates.active()) == {"certificate_expiring", "certificate_hostname_mismatch"}
    [monitor] = await _list(certificates)
    assert monitor["status"] == "error"
    await _push(certificates, agent["token"], _result(daysUntilExpiry=89.9))
    assert await certificates.active() == {}
    history = await certificates.api.get(f"/api/v1/certificates/{monitor['id']}/checks")
    assert len(history.json()) == 3


async def test_an_agent_that_cannot_connect_reports_an_error(certificates: Certificates) -> None:
    agent = await create_agent(certificates.running)
    await _push(certificates, agent["token"], _result(success=False, error="connection refused"))
    [monitor] = await _list(certificates)
    assert (monitor["status"], monitor["error"]) == ("error", "connection refused")


async def test_deleting_an_agent_removes_its_monitors_and_resolves_their_alerts(certificates: Certificates) -> None:
    agent = await create_agent(certificates.running)
    await _push(certificates, agent["token"], _result(daysUntilExpiry=2.5))
    assert set(await certificates.active()) == {"certificate_expiring"}
    response = await certificates.api.delete(f"/api/v1/agents/{agent['id']}")
    assert response.status_code == 204, response.text
    assert await _list(certificates) == []
    assert await certificates.active() == {}


async def test_an_agents_verify_message_gives_the_chain_reason(certificates: Certificates) -> None:
    agent = await create_agent(certificates.running)
    error = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)"
    await _push(certificates, agent["token"], _result(success=False, daysUntilExpiry=80.0, error=error))
    [monitor] = await _list(certificates)
    assert (monitor["status"], monitor["chainReason"], monitor["problems"]) == (
        "error",
        "self_signed",
        ["chain_invalid"],
    )
