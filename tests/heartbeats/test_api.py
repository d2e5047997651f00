"""`/api/v1/heartbeats`: create, read, replace, delete; validation names the field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.heartbeats.conftest import Heartbeats


async def test_create_returns_the_monitor_with_every_named_field(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create(tags=["db", "nightly"], description="pg_dump")
    assert set(monitor) >= {
        "id", "uuid", "name", "kind", "periodSeconds", "graceSeconds", "cron", "timezone", "methods",
        "manualResume", "tags", "description", "status", "lastPingAt", "nextDeadlineAt", "lastDurationMs",
        "lastExitCode", "pingUrl", "snippets", "createdAt",
    }  # fmt: skip
    assert monitor["kind"] == "simple"
    assert (monitor["periodSeconds"], monitor["graceSeconds"]) == (3600, 600)
    assert (monitor["methods"], monitor["manualResume"], monitor["timezone"]) == ("any", False, "UTC")
    assert monitor["tags"] == ["db", "nightly"]
    assert monitor["status"] == "new"
    assert monitor["pingUrl"] == f"http://hub.test/ping/{monitor['uuid']}"
    assert monitor["createdAt"] == "2026-11-10T10:00:00.000Z"
    assert await heartbeats.get(monitor["id"]) == monitor
    listed = (await heartbeats.api.get("/api/v1/heartbeats")).json()
    assert [m["id"] for m in listed] == [monitor["id"]]


async def test_snippets_use_the_real_ping_url(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create(periodSeconds=300)
    url = monitor["pingUrl"]
    snippets = (await heartbeats.get(monitor["id"]))["snippets"]
    assert set(snippets) == {"curl", "wget", "python", "powershell", "crontab"}
    assert snippets["curl"].endswith(f" {url}") and snippets["curl"].startswith("curl ")
    assert url in snippets["wget"] and url in snippets["python"] and url in snippets["powershell"]
    assert snippets["crontab"] == (
        f"*/5 * * * * curl -fsS -m 10 --retry 5 -o /dev/null {url}/start ; /path/to/command ; "
        f"curl -fsS -m 10 --retry 5 -o /dev/null {url}/$?"
    )


async def test_a_cron_monitor_snippet_uses_its_schedule_and_zone(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create(kind="cron", cron="15 3 * * *", timezone="Europe/Berlin", periodSeconds=None)
    assert monitor["snippets"]["crontab"].startswith("CRON_TZ=Europe/Berlin\n15 3 * * * curl ")


async def test_put_replaces_the_writable_fields(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create(tags=["a"], description="old", manualResume=True)
    response = await heartbeats.api.put(
        f"/api/v1/heartbeats/{monitor['id']}", json={"name": "renamed", "periodSeconds": 120}
    )
    assert response.status_code == 200, response.text
    got = response.json()
    assert (got["name"], got["periodSeconds"], got["graceSeconds"]) == ("renamed", 120, 3600)
    assert (got["tags"], got["description"], got["manualResume"]) == ([], "", False)
    assert (got["uuid"], got["createdAt"]) == (monitor["uuid"], monitor["createdAt"])


async def test_put_with_a_new_period_moves_the_deadline(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    body = {"name": "backup", "periodSeconds": 7200, "graceSeconds": 600}
    got = (await heartbeats.api.put(f"/api/v1/heartbeats/{monitor['id']}", json=body)).json()
    assert got["nextDeadlineAt"] == "2026-11-10T12:00:00.000Z"


async def test_delete_removes_the_monitor_and_its_pings(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"])
    assert (await heartbeats.api.delete(f"/api/v1/heartbeats/{monitor['id']}")).status_code == 204
    assert (await heartbeats.api.get(f"/api/v1/heartbeats/{monitor['id']}")).status_code == 404
    assert (await heartbeats.ping(monitor["uuid"])).status_code == 404
    assert (await heartbeats.api.delete(f"/api/v1/heartbeats/{monitor['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "periodSeconds": 59}, "periodSeconds"),
        ({"name": "x", "periodSeconds": 366 * 86400}, "periodSeconds"),
        ({"name": "x", "graceSeconds": 30}, "graceSeconds"),
        ({"name": "x", "kind": "weekly"}, "kind"),
        ({"name": "x", "kind": "cron"}, "cron"),
        ({"name": "x", "kind": "cron", "cron": "* * *"}, "cron"),
        ({"name": "x", "kind": "cron", "cron": "61 * * * *"}, "cron"),
        ({"name": "x", "kind": "cron", "cron": "0 * * * *", "periodSeconds": 60}, "periodSeconds"),
        ({"name": "x", "cron": "0 * * * *"}, "cron"),
        ({"name": "x", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "x", "methods": "GET"}, "methods"),
        ({"name": "x", "tags": [""]}, "tags[0]"),
        ({"name": "x", "manualResume": "perhaps"}, "manualResume"),
    ],
)
async def test_invalid_input_is_refused_naming_the_field(
    heartbeats: Heartbeats, body: dict[str, Any], field: str
) -> None:
    response = await heartbeats.api.post("/api/v1/heartbeats", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("validation_error", field)
    assert (await heartbeats.api.get("/api/v1/heartbeats")).json() == []


@pytest.mark.parametrize("field", ["id", "uuid", "status", "lastPingAt", "nextDeadlineAt", "pingUrl", "createdAt"])
async def test_server_owned_fields_are_read_only(heartbeats: Heartbeats, field: str) -> None:
    response = await heartbeats.api.post("/api/v1/heartbeats", json={"name": "x", field: "y"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("readonly_field", field)


async def test_a_read_only_key_can_list_but_not_create(heartbeats: Heartbeats) -> None:
    key = await heartbeats.running.user_key("alice", "viewer", ["read"])
    alice = heartbeats.running.client(key)
    assert (await alice.get("/api/v1/heartbeats")).status_code == 200
    response = await alice.post("/api/v1/heartbeats", json={"name": "x"})
    assert response.status_code == 403


async def test_the_routes_need_authentication(heartbeats: Heartbeats) -> None:
    response = await heartbeats.running.client().get("/api/v1/heartbeats")
    assert response.status_code == 401
