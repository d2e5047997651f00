"""The endpoints API: defaults, validation naming the field, masked secrets, pause and
resume, deletion, history routes and the dashboard's sparklines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.endpoints.conftest import BOTH_STORES, Endpoints
from tests.endpoints.servers import http_server
from watchkeep.endpoints.service import sparklines
from watchkeep.endpoints.tables import endpoints as endpoints_table

SECRET = "Bearer sk-live-0123456789abcdef"


@pytest.fixture
async def server() -> AsyncIterator[str]:
    async with http_server() as url:
        yield url


async def test_an_endpoint_gets_the_default_settings_and_starts_unknown(endpoints: Endpoints) -> None:
    created = await endpoints.create(type="http", target="https://example.test/health")
    assert created["intervalSeconds"] == 30
    assert created["timeoutSeconds"] == 10
    assert (created["failureThreshold"], created["recoveryThreshold"]) == (3, 2)
    assert created["http"]["expectedStatus"] == "2xx"
    assert created["http"]["maxRedirects"] == 5
    assert (created["status"], created["paused"], created["lastCheckAt"]) == ("unknown", False, None)
    assert created["nextCheckAt"] is not None
    assert [e["id"] for e in (await endpoints.api.get("/api/v1/endpoints")).json()] == [created["id"]]


async def test_a_timeout_as_long_as_the_interval_is_clamped_below_it(endpoints: Endpoints) -> None:
    created = await endpoints.create(type="tcp", target="db.internal:5432", intervalSeconds=10, timeoutSeconds=30)
    assert created["timeoutSeconds"] == 8


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "http", "target": "ftp://example.test/"}, "target"),
        ({"type": "tcp", "target": "db.internal"}, "target"),
        ({"type": "tcp", "target": "db.internal:70000"}, "target"),
        ({"type": "dns", "target": "https://example.test"}, "target"),
        ({"type": "http", "target": "http://x.test", "http": {"expectedStatus": "2xx,abc"}}, "http.expectedStatus"),
        ({"type": "http", "target": "http://x.test", "http": {"jsonPath": ["$.a == 1", "a == 1"]}}, "http.jsonPath[1]"),
        ({"type": "http", "target": "http://x.test", "http": {"headers": {"Bad Name": "x"}}}, "http.headers.Bad Name"),
        ({"type": "http", "target": "http://x.test", "http": {"maxRedirects": 99}}, "http.maxRedirects"),
        ({"type": "tcp", "target": "db.internal:5432", "http": {}}, "http"),
        ({"type": "dns", "target": "web.test", "dns": {"nameserver": "not a server"}}, "dns.nameserver"),
        ({"type": "dns", "target": "web.test", "dns": {"recordType": "BOGUS"}}, "dns.recordType"),
        ({"type": "smtp", "target": "mail.test"}, "type"),
        ({"type": "tcp", "target": "db.internal:5432", "intervalSeconds": 1}, "intervalSeconds"),
        ({"type": "tcp", "target": "db.internal:5432", "failureThreshold": 0}, "failureThreshold"),
        ({"type": "tcp", "target": "db.internal:5432", "status": "up"}, "status"),
    ],
)
async def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
    endpoints: Endpoints, body: dict[str, Any], field: str
) -> None:
    response = await endpoints.api.post("/api/v1/endpoints", json={"name": "web", **body})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert (await endpoints.api.get("/api/v1/endpoints")).json() == []


async def test_secret_headers_are_masked_sealed_at_rest_and_kept_when_sent_back_masked(
    endpoints: Endpoints, server: str
) -> None:
    headers = {"Authorization": SECRET, "X-Trace": "visible"}
    body = {"type": "http", "target": f"{server}/headers", "http": {"headers": headers}}
    created = await endpoints.create(**body)
    shown = created["http"]["headers"]
    assert shown == {"Authorization": "********cdef", "X-Trace": "visible"}
    async with endpoints.running.hub.store.read() as conn:
        stored = (await conn.execute(select(endpoints_table.c.config))).scalar_one()
    assert SECRET not in stored and "wkenc1:" in stored
    # Sent back as shown, the stored secret is kept (and still sent to the server).
    again = {**body, "name": "renamed", "http": {"headers": shown, "jsonPath": [f'$.authorization == "{SECRET}"']}}
    response = await endpoints.api.put(f"/api/v1/endpoints/{created['id']}", json=again)
    assert response.status_code == 200, response.text
    assert response.json()["http"]["headers"]["Authorization"] == "********cdef"
    assert (await endpoints.check(created["id"]))["status"] == "up"


async def test_a_masked_value_that_matches_no_stored_secret_is_refused(endpoints: Endpoints) -> None:
    created = await endpoints.create(type="http", target="http://x.test", http={"headers": {"Cookie": "a=1"}})
    body = {
        "name": "web",
        "type": "http",
        "target": "http://x.test",
        "http": {"headers": {"X-Api-Key": "********1234"}},
    }
    response = await endpoints.api.put(f"/api/v1/endpoints/{created['id']}", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "http.headers.X-Api-Key"


async def test_a_url_targets_password_is_masked_and_kept_when_sent_back(endpoints: Endpoints) -> None:
    created = await endpoints.create(type="http", target="https://ops:hunter22@example.test/health?token=abc")
    assert created["target"] == "https://ops:********@example.test/health?token=********"
    body = {"name": "web", "type": "http", "target": created["target"]}
    response = await endpoints.api.put(f"/api/v1/endpoints/{created['id']}", json=body)
    assert response.status_code == 200, response.text
    async with endpoints.running.hub.store.read() as conn:
        stored = (await conn.execute(select(endpoints_table.c.target))).scalar_one()
    assert stored == "https://ops:hunter22@example.test/health?token=abc"


async def test_a_paused_endpoint_is_unknown_and_not_checked_until_resumed(endpoints: Endpoints, server: str) -> None:
    created = await endpoints.create(type="http", target=f"{server}/ok")
    await endpoints.check(created["id"])
    paused = (await endpoints.api.post(f"/api/v1/endpoints/{created['id']}/pause")).json()
    assert (paused["status"], paused["paused"], paused["nextCheckAt"]) == ("unknown", True, None)
    endpoints.clock.advance(3600)
    await endpoints.scheduler.step()
    await endpoints.scheduler.drain()
    assert len(await endpoints.results(created["id"])) == 1
    resumed = (await endpoints.api.post(f"/api/v1/endpoints/{created['id']}/resume")).json()
    assert (resumed["status"], resumed["paused"]) == ("up", False)
    await endpoints.check(created["id"])
    assert len(await endpoints.results(created["id"])) == 2


async def test_a_deleted_endpoint_is_gone_with_its_history(endpoints: Endpoints, server: str) -> None:
    created = await endpoints.create(type="http", target=f"{server}/ok")
    await endpoints.check(created["id"])
    assert (await endpoints.api.delete(f"/api/v1/endpoints/{created['id']}")).status_code == 204
    assert (await endpoints.api.get(f"/api/v1/endpoints/{created['id']}")).status_code == 404
    assert (await endpoints.api.get(f"/api/v1/endpoints/{created['id']}/checks")).status_code == 404
    assert (await endpoints.api.delete(f"/api/v1/endpoints/{created['id']}")).status_code == 404


@BOTH_STORES
async def test_daily_uptime_and_response_times_come_from_the_results(endpoints: Endpoints, server: str) -> None:
    good = await endpoints.create(type="http", target=f"{server}/ok", intervalSeconds=60)
    for _ in range(3):
        await endpoints.check(good["id"])
    await endpoints.api.put(
        f"/api/v1/endpoints/{good['id']}",
        json={"name": "web", "type": "http", "target": f"{server}/status/500", "intervalSeconds": 60},
    )
    await endpoints.check(good["id"])
    [today] = (await endpoints.api.get(f"/api/v1/endpoints/{good['id']}/uptime/daily", params={"days": 1})).json()
    assert (today["date"], today["checks"], today["upChecks"], today["uptimePercent"]) == ("2026-11-10", 4, 3, 75.0)
    assert today["avgResponseMs"] > 0
    week = (await endpoints.api.get(f"/api/v1/endpoints/{good['id']}/uptime/daily", params={"days": 7})).json()
    assert [day["uptimePercent"] for day in week] == [None] * 6 + [75.0]
    checks = (await endpoints.api.get(f"/api/v1/endpoints/{good['id']}/response-times", params={"range": "1h"})).json()
    assert checks["resolution"] == "check"
    assert [p["uptimePercent"] for p in checks["points"]] == [100.0, 100.0, 100.0, 0.0]
    hours = (await endpoints.api.get(f"/api/v1/endpoints/{good['id']}/response-times", params={"range": "7d"})).json()
    assert hours["resolution"] == "hour"
    assert [p["uptimePercent"] for p in hours["points"]] == [75.0]
    failed = (await endpoints.api.get(f"/api/v1/endpoints/{good['id']}/checks", params={"status": "down"})).json()
    assert [(c["status"], c["httpStatus"]) for c in failed] == [("down", 500)]
    bad = await endpoints.api.get(f"/api/v1/endpoints/{good['id']}/response-times", params={"range": "1y"})
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "range")


async def test_sparklines_give_each_endpoints_latest_results_oldest_first(endpoints: Endpoints, server: str) -> None:
    up = await endpoints.create(name="a-up", type="http", target=f"{server}/ok")
    down = await endpoints.create(name="b-down", type="http", target=f"{server}/status/500")
    paused = await endpoints.create(name="c-paused", type="http", target=f"{server}/ok")
    await endpoints.api.post(f"/api/v1/endpoints/{paused['id']}/pause")
    for _ in range(2):
        endpoints.clock.advance(30)
        await endpoints.scheduler.step()
        await endpoints.scheduler.drain()
    assert len(await endpoints.results(up["id"])) == len(await endpoints.results(down["id"])) == 2
    lines = await sparklines(endpoints.running.hub)
    assert [(line["name"], line["status"], len(line["points"])) for line in lines] == [
        ("a-up", "up", 2),
        ("b-down", "unknown", 2),
        ("c-paused", "unknown", 0),
    ]
    assert [p["up"] for p in lines[1]["points"]] == [False, False]
    assert lines[0]["points"][0]["at"] < lines[0]["points"][1]["at"]
    # The dashboard's route serves the same lines beside the hosts' and containers'.
    dashboard = (await endpoints.api.get("/api/v1/dashboard/sparklines")).json()
    assert dashboard["endpoints"] == lines


async def test_a_changed_type_replaces_the_settings_and_a_new_interval_is_due_soon(endpoints: Endpoints) -> None:
    created = await endpoints.create(
        type="http", target="http://x.test/", intervalSeconds=3600, http={"headers": {"Cookie": "a=1"}}
    )
    body = {"name": "web", "type": "tcp", "target": "x.test:443", "intervalSeconds": 60}
    replaced = (await endpoints.api.put(f"/api/v1/endpoints/{created['id']}", json=body)).json()
    assert (replaced["type"], replaced["http"], replaced["target"], replaced["intervalSeconds"]) == (
        "tcp",
        None,
        "x.test:443",
        60,
    )
    assert replaced["nextCheckAt"] <= "2026-11-10T10:00:05.000Z"
    # A masked header of the old type matches nothing stored any more.
    back = {"name": "web", "type": "http", "target": "http://x.test/", "http": {"headers": {"Cookie": "********"}}}
    response = await endpoints.api.put(f"/api/v1/endpoints/{created['id']}", json=back)
    assert (response.status_code, response.json()["error"]["field"]) == (400, "http.headers.Cookie")


async def test_an_https_endpoint_has_an_automatic_certificate_monitor(endpoints: Endpoints) -> None:
    async def monitors() -> list[tuple[str, str, int]]:
        listed = (await endpoints.api.get("/api/v1/certificates")).json()
        return [(m["source"], m["host"], m["port"]) for m in listed]

    plain = await endpoints.create(name="plain", type="http", target="http://shop.test/")
    assert await monitors() == []
    secure = await endpoints.create(name="secure", type="http", target="https://shop.test:8443/health")
    assert await monitors() == [("endpoint", "shop.test", 8443)]
    body = {"name": "secure", "type": "http", "target": "https://api.shop.test/", "http": {"verifyTls": True}}
    await endpoints.api.put(f"/api/v1/endpoints/{secure['id']}", json=body)
    assert await monitors() == [("endpoint", "api.shop.test", 443)]
    # Checks told to skip verification trust the certificate as it is: no monitor.
    unverified = {**body, "http": {"verifyTls": False}}
    assert (await endpoints.api.put(f"/api/v1/endpoints/{secure['id']}", json=unverified)).status_code == 200
    assert await monitors() == []
    await endpoints.api.put(f"/api/v1/endpoints/{secure['id']}", json=body)
    assert await monitors() == [("endpoint", "api.shop.test", 443)]
    assert (await endpoints.api.delete(f"/api/v1/endpoints/{secure['id']}")).status_code == 204
    assert (await endpoints.api.delete(f"/api/v1/endpoints/{plain['id']}")).status_code == 204
    assert await monitors() == []
