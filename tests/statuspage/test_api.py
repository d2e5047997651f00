"""The admin API: groups, components linked to monitors and their derived status, incidents
and their timeline, automatic incidents; the public JSON, feeds, badges and caching."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

from tests.statuspage.conftest import BOTH_STORES, make_heartbeat, ping
from tests.support.hub import RunningHub
from tests.support.polling import eventually

ATOM = "{http://www.w3.org/2005/Atom}"


async def _component(hub: RunningHub, component_id: str) -> dict[str, Any]:
    response = await hub.admin.get(f"/api/v1/status/components/{component_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_groups_are_created_listed_replaced_and_deleted(status_hub: RunningHub) -> None:
    admin = status_hub.admin
    created = await admin.post("/api/v1/status/groups", json={"name": "Core", "description": "the basics"})
    assert created.status_code == 201, created.text
    group = created.json()
    assert (await admin.post("/api/v1/status/groups", json={"name": "Core"})).json()["error"]["field"] == "name"
    replaced = await admin.put(f"/api/v1/status/groups/{group['id']}", json={"name": "Platform", "position": 3})
    assert replaced.json()["name"] == "Platform" and replaced.json()["position"] == 3
    assert [g["name"] for g in (await admin.get("/api/v1/status/groups")).json()] == ["Platform"]
    assert (await admin.delete(f"/api/v1/status/groups/{group['id']}")).status_code == 204
    assert (await admin.get("/api/v1/status/groups")).json() == []
    assert (await admin.delete(f"/api/v1/status/groups/{group['id']}")).status_code == 404


async def test_a_bad_component_is_refused_by_field_and_writes_nothing(status_hub: RunningHub) -> None:
    admin = status_hub.admin
    missing = await admin.post(
        "/api/v1/status/components", json={"name": "API", "monitors": [{"type": "heartbeat", "id": "hb_nope"}]}
    )
    assert missing.status_code == 400
    assert missing.json()["error"]["field"] == "monitors[0].id"
    slug = await admin.post("/api/v1/status/components", json={"name": "API", "slug": "Not A Slug"})
    assert slug.status_code == 400 and slug.json()["error"]["field"] == "slug"
    group = await admin.post("/api/v1/status/components", json={"name": "API", "groupId": "sg_nope"})
    assert group.status_code == 400 and group.json()["error"]["field"] == "groupId"
    assert (await admin.get("/api/v1/status/components")).json() == []


@BOTH_STORES
async def test_a_component_follows_its_heartbeat_and_opens_and_resolves_an_incident(status_hub: RunningHub) -> None:
    admin = status_hub.admin
    job = await make_heartbeat(status_hub, "nightly-export")
    await ping(status_hub, job)
    group = (await admin.post("/api/v1/status/groups", json={"name": "Jobs"})).json()
    created = await admin.post(
        "/api/v1/status/components",
        json={
            "name": "Exports",
            "groupId": group["id"],
            "monitors": [{"type": "heartbeat", "id": job["id"]}],
            "autoIncident": True,
        },
    )
    assert created.status_code == 201, created.text
    component = created.json()
    assert component["slug"] == "exports"
    assert component["status"] == "operational"

    await ping(status_hub, job, "/fail")
    await eventually(
        lambda: _status_is(status_hub, component["id"], "major_outage"), "the component to go into a major outage"
    )
    incidents = await eventually(lambda: _incidents(status_hub), "the automatic incident")
    assert incidents[0]["automatic"] is True
    assert incidents[0]["componentIds"] == [component["id"]]
    assert incidents[0]["status"] == "investigating"

    await ping(status_hub, job)
    await eventually(lambda: _status_is(status_hub, component["id"], "operational"), "the component to recover")
    resolved = await eventually(lambda: _resolved(status_hub), "the automatic incident to resolve")
    assert [u["status"] for u in resolved["updates"]] == ["resolved", "investigating"]

    feed = await status_hub.client().get("/status/feed.atom")
    entries = ET.fromstring(feed.content).findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert entries[0].find(f"{ATOM}title").text.endswith("Resolved")  # type: ignore[union-attr]
    rss = await status_hub.client().get("/status/feed.rss")
    assert len(ET.fromstring(rss.content).findall("channel/item")) == 2


async def _status_is(hub: RunningHub, component_id: str, status: str) -> bool:
    return (await _component(hub, component_id))["status"] == status


async def _incidents(hub: RunningHub) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await hub.admin.get("/api/v1/status/incidents")).json()
    return found


async def _resolved(hub: RunningHub) -> dict[str, Any] | None:
    found = await _incidents(hub)
    return found[0] if found and found[0]["status"] == "resolved" else None


async def test_an_override_sets_the_status_by_hand_until_removed(status_hub: RunningHub) -> None:
    admin = status_hub.admin
    job = await make_heartbeat(status_hub, "sync")
    await ping(status_hub, job)
    body = {"name": "Sync", "monitors": [{"type": "heartbeat", "id": job["id"]}]}
    component = (await admin.post("/api/v1/status/components", json=body)).json()
    overridden = await admin.put(
        f"/api/v1/status/components/{component['id']}", json={**body, "overrideStatus": "degraded"}
    )
    assert overridden.json()["status"] == "degraded"
    back = await admin.put(f"/api/v1/status/components/{component['id']}", json=body)
    assert back.json()["status"] == "operational"


@BOTH_STORES
async def test_an_incident_keeps_a_timeline_of_updates_in_order(status_hub: RunningHub) -> None:
    admin = status_hub.admin
    component = (await admin.post("/api/v1/status/components", json={"name": "Website"})).json()
    created = await admin.post(
        "/api/v1/status/incidents",
        json={
            "title": "Slow pages",
            "impact": "minor",
            "message": "Looking into it.",
            "componentIds": [component["id"]],
        },
    )
    assert created.status_code == 201, created.text
    incident = created.json()
    for status, message in (("identified", "A slow query."), ("monitoring", "Fixed."), ("resolved", "All good.")):
        answer = await admin.post(
            f"/api/v1/status/incidents/{incident['id']}/updates", json={"status": status, "message": message}
        )
        assert answer.status_code == 201, answer.text
    final = (await admin.get(f"/api/v1/status/incidents/{incident['id']}")).json()
    assert final["status"] == "resolved" and final["resolvedAt"] is not None
    assert [u["status"] for u in final["updates"]] == ["resolved", "monitoring", "identified", "investigating"]
    bad = await admin.post(
        f"/api/v1/status/incidents/{incident['id']}/updates", json={"status": "done", "message": "x"}
    )
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "status"
    unknown = await admin.post(
        "/api/v1/status/incidents", json={"title": "x", "message": "y", "componentIds": ["sc_nope"]}
    )
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "componentIds[0]"

    public = await status_hub.client().get("/status/api")
    past = public.json()["pastIncidents"]
    assert past[0]["title"] == "Slow pages" and past[0]["components"] == ["Website"]
    atom = ET.fromstring((await status_hub.client().get("/status/feed.atom")).content)
    assert len(atom.findall(f"{ATOM}entry")) == 4


async def test_the_public_json_is_cached_with_an_etag_and_open_to_any_origin(status_hub: RunningHub) -> None:
    await status_hub.admin.put("/api/v1/status/settings", json={"title": "Acme status", "footer": "Call us"})
    await status_hub.admin.post("/api/v1/status/components", json={"name": "Website"})
    client = status_hub.client()
    first = await client.get("/status/api")
    assert first.status_code == 200
    assert first.headers["access-control-allow-origin"] == "*"
    assert "max-age" in first.headers["cache-control"]
    assert first.json()["page"]["title"] == "Acme status"
    assert first.json()["components"][0]["name"] == "Website"
    assert len(first.json()["components"][0]["uptime"]) == 90
    again = await client.get("/status/api", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    page = await client.get("/status")
    assert page.status_code == 200 and "Acme status" in page.text and "Call us" in page.text
    assert (await client.get("/status", headers={"If-None-Match": page.headers["etag"]})).status_code == 304


async def test_badges_are_svg_with_the_label_and_the_status(status_hub: RunningHub) -> None:
    await status_hub.admin.post("/api/v1/status/components", json={"name": "Web & API", "slug": "web"})
    client = status_hub.client()
    for url, label in (
        ("/status/badge/web.svg", "Web & API"),
        ("/status/badge/overall.svg?style=flat-square", "Status"),
    ):
        response = await client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        svg = ET.fromstring(response.content)
        texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
        assert label in texts and "operational" in texts
    square = ET.fromstring((await client.get("/status/badge/web.svg?style=flat-square")).content)
    assert all(r.get("rx") in (None, "0") for r in square.iter("{http://www.w3.org/2000/svg}rect"))
    missing = await client.get("/status/badge/nope.svg")
    assert missing.status_code == 404
    ET.fromstring(missing.content)


@BOTH_STORES
async def test_a_maintenance_window_puts_its_components_under_maintenance_and_is_shown_ahead(
    status_hub: RunningHub, clock: Any
) -> None:
    admin = status_hub.admin
    job = await make_heartbeat(status_hub, "db-backup")
    await ping(status_hub, job)
    body = {"name": "Database", "monitors": [{"type": "heartbeat", "id": job["id"]}]}
    component = (await admin.post("/api/v1/status/components", json=body)).json()
    other = (await admin.post("/api/v1/status/components", json={"name": "Website"})).json()
    now = clock.now()
    later = await admin.post(
        "/api/v1/maintenance-windows",
        json={
            "name": "Disk swap",
            "matchers": {"entityType": "heartbeat", "entityId": job["id"]},
            "startsAt": (now + timedelta(days=2)).isoformat(),
            "endsAt": (now + timedelta(days=2, hours=1)).isoformat(),
        },
    )
    assert later.status_code == 201, later.text
    public = (await status_hub.client().get("/status/api")).json()
    assert [(m["name"], m["active"], m["components"]) for m in public["maintenance"]] == [
        ("Disk swap", False, ["Database"])
    ]
    assert (await _component(status_hub, component["id"]))["status"] == "operational"

    opened = await admin.post(
        "/api/v1/maintenance-windows",
        json={
            "name": "Upgrade",
            "matchers": {"source": "heartbeat", "entityId": job["id"]},
            "startsAt": (now - timedelta(minutes=1)).isoformat(),
            "endsAt": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert opened.status_code == 201, opened.text
    await eventually(
        lambda: _status_is(status_hub, component["id"], "under_maintenance"), "the component to be under maintenance"
    )
    assert (await _component(status_hub, other["id"]))["status"] == "operational"
    public = (await status_hub.client().get("/status/api")).json()
    assert public["status"]["indicator"] == "under_maintenance"
    assert [m["name"] for m in public["maintenance"] if m["active"]] == ["Upgrade"]

    assert (await admin.delete(f"/api/v1/maintenance-windows/{opened.json()['id']}")).status_code == 204
    await eventually(lambda: _status_is(status_hub, component["id"], "operational"), "the maintenance to end")
