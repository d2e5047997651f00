"""Nothing private reaches a public route: monitors with secret-looking names, hosts,
labels, URLs and error texts, linked to components, and not one of those words appears in
/status, /status/api, the first events of /status/events, the feeds or the badges."""

from __future__ import annotations

import json
from typing import Any

from tests.statuspage.conftest import make_heartbeat, ping
from tests.support.hub import RunningHub
from tests.support.polling import eventually

MARK = "zq7s3cr3t"


async def _create(hub: RunningHub, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await hub.admin.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _first_events(hub: RunningHub, wanted: int) -> str:
    """The stream's opening frames, up to `wanted` events."""
    seen = ""
    async with hub.client().stream("GET", "/status/events") as response:
        assert response.headers["access-control-allow-origin"] == "*"
        async for chunk in response.aiter_text():
            seen += chunk
            if seen.count("\nevent: ") + seen.startswith("event: ") >= wanted:
                break
    return seen


async def test_no_monitor_name_host_label_url_or_error_appears_on_any_public_route(status_hub: RunningHub) -> None:
    job = await make_heartbeat(status_hub, f"backup-{MARK}-name", tags=[f"team={MARK}-label"])
    await ping(status_hub, job)
    endpoint = await _create(
        status_hub,
        "/api/v1/endpoints",
        {
            "name": f"endpoint-{MARK}-name",
            "type": "http",
            "target": f"http://127.0.0.1:1/{MARK}-path?token={MARK}-query",
            "intervalSeconds": 5,
            "failureThreshold": 1,
        },
    )
    agent = await _create(
        status_hub,
        "/api/v1/agents",
        {"name": f"agent-{MARK}-name", "hostname": f"{MARK}-host.internal", "labels": {"role": f"{MARK}-role"}},
    )
    certificate = await _create(status_hub, "/api/v1/certificates", {"host": f"{MARK}-cert.example"})
    group = await _create(status_hub, "/api/v1/status/groups", {"name": "Platform"})
    component = await _create(
        status_hub,
        "/api/v1/status/components",
        {
            "name": "Backups",
            "groupId": group["id"],
            "monitors": [
                {"type": "heartbeat", "id": job["id"]},
                {"type": "endpoint", "id": endpoint["id"]},
                {"type": "agent", "id": agent["id"]},
                {"type": "certificate", "id": certificate["id"]},
            ],
            "matches": [{"type": "heartbeat", "labels": {"team": f"{MARK}-label"}}],
            "autoIncident": True,
        },
    )
    # The failure's own text, and the endpoint's error, are stored by their monitors.
    await ping(status_hub, job, "/fail", body=f"{MARK}-error-text".encode())

    async def down() -> bool:
        found = await status_hub.admin.get(f"/api/v1/status/components/{component['id']}")
        return found.json()["status"] in ("partial_outage", "major_outage")

    await eventually(down, "the component to go down")
    await eventually(lambda: _incident(status_hub), "the automatic incident")
    stored = (await status_hub.admin.get(f"/api/v1/heartbeats/{job['id']}/pings")).json()
    assert MARK in json.dumps(stored)  # the secret is there to leak

    client = status_hub.client()
    answers = {}
    for url in (
        "/status",
        "/status/api",
        "/status/feed.atom",
        "/status/feed.rss",
        "/status/badge/backups.svg",
        "/status/badge/overall.svg",
        "/status/badge/overall.svg?style=flat-square",
    ):
        response = await client.get(url)
        assert response.status_code == 200, url
        answers[url] = response.text
    assert "Backups" in answers["/status"] and "Backups" in answers["/status/api"]
    answers["/status/events"] = await _first_events(status_hub, 1)
    assert "status.snapshot" in answers["/status/events"] and "Backups" in answers["/status/events"]

    # A change while the stream is open: its event is as clean.
    async def stream_with_change() -> str:
        seen = ""
        async with client.stream("GET", "/status/events") as response:
            async for chunk in response.aiter_text():
                seen += chunk
                if "status.snapshot" in seen and "status.component_changed" not in seen:
                    await ping(status_hub, job)
                if "status.component_changed" in seen and seen.endswith("\n\n"):
                    return seen
        return seen

    answers["/status/events (live)"] = await stream_with_change()
    for url, text in answers.items():
        assert MARK not in text.lower(), f"{url} shows a monitor's private text"
        assert "127.0.0.1" not in text, url


async def _incident(hub: RunningHub) -> bool:
    return bool((await hub.admin.get("/api/v1/status/incidents")).json())
