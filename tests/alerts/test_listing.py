"""Listing alerts: filters, cursor pagination, the active view grouped by severity."""

from __future__ import annotations

import pytest

from tests.support.hub import RunningHub
from watchkeep.alerts.service import AlertService, Condition
from watchkeep.core.clock import FrozenClock, rfc3339


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def fire(hub: RunningHub, entity: str, severity: str, source: str = "endpoint", firing: bool = True) -> None:
    condition = Condition(source, "down", "endpoint", entity, firing, severity, f"{entity} is down")
    await AlertService(hub.hub).report(condition)


async def test_filters_by_source_severity_status_and_entity(hub: RunningHub, clock: FrozenClock) -> None:
    await fire(hub, "e1", "critical")
    await fire(hub, "e2", "warning")
    await fire(hub, "e3", "info", source="certificate")
    await fire(hub, "e2", "warning", firing=False)
    get = hub.admin.get
    ids = lambda r: sorted(a["entityId"] for a in r.json()["items"])  # noqa: E731
    assert ids(await get("/api/v1/alerts", params={"source": "certificate"})) == ["e3"]
    assert ids(await get("/api/v1/alerts", params={"severity": "critical"})) == ["e1"]
    assert ids(await get("/api/v1/alerts", params={"status": "resolved"})) == ["e2"]
    assert ids(await get("/api/v1/alerts", params={"status": "active"})) == ["e1", "e3"]
    assert ids(await get("/api/v1/alerts", params={"entityType": "endpoint", "entityId": "e1"})) == ["e1"]


async def test_filters_by_time_range(hub: RunningHub, clock: FrozenClock) -> None:
    await fire(hub, "early", "warning")
    clock.advance(3600)
    middle = rfc3339(clock.now_ms())
    await fire(hub, "late", "warning")
    response = await hub.admin.get("/api/v1/alerts", params={"since": middle})
    assert [a["entityId"] for a in response.json()["items"]] == ["late"]
    response = await hub.admin.get("/api/v1/alerts", params={"until": middle})
    assert [a["entityId"] for a in response.json()["items"]] == ["early"]


async def test_a_cursor_walks_every_alert_once_newest_first(hub: RunningHub, clock: FrozenClock) -> None:
    for index in range(7):
        await fire(hub, f"e{index}", "warning")
        clock.advance(1)
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 3}
    while True:
        page = (await hub.admin.get("/api/v1/alerts", params=params)).json()
        seen += [a["entityId"] for a in page["items"]]
        if page["nextCursor"] is None:
            break
        params["cursor"] = page["nextCursor"]
    assert seen == [f"e{index}" for index in reversed(range(7))]


async def test_a_bad_status_or_cursor_is_named(hub: RunningHub) -> None:
    bad_status = await hub.admin.get("/api/v1/alerts", params={"status": "sleeping"})
    assert bad_status.status_code == 400
    assert bad_status.json()["error"]["field"] == "status"
    bad_cursor = await hub.admin.get("/api/v1/alerts", params={"cursor": "!!"})
    assert bad_cursor.json()["error"]["field"] == "cursor"


async def test_active_alerts_are_grouped_by_severity(hub: RunningHub) -> None:
    await fire(hub, "e1", "critical")
    await fire(hub, "e2", "warning")
    await fire(hub, "e3", "warning")
    await fire(hub, "e4", "info", firing=False)
    active = (await hub.admin.get("/api/v1/alerts/active")).json()
    assert active["total"] == 3
    assert [a["entityId"] for a in active["critical"]] == ["e1"]
    assert sorted(a["entityId"] for a in active["warning"]) == ["e2", "e3"]
    assert active["info"] == []


async def test_an_unknown_alert_is_not_found(hub: RunningHub) -> None:
    response = await hub.admin.get("/api/v1/alerts/alr_nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
