"""`GET /metrics`: the exposition parses with prometheus_client's own parser and holds the
hub's internals and its monitors' states; it takes the `metrics` scope unless made public."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.support.hub import RunningHub

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


async def _scrape(hub: RunningHub, key: str | None) -> dict[str, list[Sample]]:
    response = await hub.client(key).get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {family.name: family.samples for family in text_string_to_metric_families(response.text)}


def _value(samples: list[Sample], sample_name: str, **labels: str) -> float | None:
    for sample in samples:
        if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return float(sample.value)
    return None


async def test_the_exposition_holds_internals_and_monitor_states(hub: RunningHub) -> None:
    key = await hub.user_key("prometheus", "viewer", ["metrics"])
    api = hub.admin
    up = (await api.post("/api/v1/heartbeats", json={"name": "backup"})).json()
    down = (await api.post("/api/v1/heartbeats", json={"name": "report"})).json()
    assert (await hub.client().get(f"/ping/{up['uuid']}")).status_code == 200
    assert (await hub.client().get(f"/ping/{down['uuid']}/1")).status_code == 200
    assert (await api.get(f"/api/v1/heartbeats/{up['id']}")).status_code == 200

    families: dict[str, list[Sample]] = {}
    for _ in range(100):  # the alerts consumer reacts to the failure in the background
        families = await _scrape(hub, key)
        if _value(families["watchkeep_alerts_active"], "watchkeep_alerts_active", source="heartbeat"):
            break
        await asyncio.sleep(0.05)

    heartbeat_up = families["watchkeep_heartbeat_up"]
    assert _value(heartbeat_up, "watchkeep_heartbeat_up", heartbeat_id=up["id"], name="backup") == 1.0
    assert _value(heartbeat_up, "watchkeep_heartbeat_up", heartbeat_id=down["id"], name="report") == 0.0
    alerts = families["watchkeep_alerts_active"]
    assert _value(alerts, "watchkeep_alerts_active", source="heartbeat", severity="critical") == 1.0

    requests = families["watchkeep_http_requests"]
    route = "/api/v1/heartbeats/{heartbeat_id}"
    assert _value(requests, "watchkeep_http_requests_total", method="GET", route=route, status="200") == 1.0
    assert _value(requests, "watchkeep_http_requests_total", method="POST", route="/api/v1/heartbeats") == 2.0
    latency = families["watchkeep_http_request_duration_seconds"]
    assert _value(latency, "watchkeep_http_request_duration_seconds_count", method="POST") == 2.0
    assert (_value(latency, "watchkeep_http_request_duration_seconds_bucket", le="+Inf", method="POST")) == 2.0

    assert _value(families["watchkeep_store_writer_queue_depth"], "watchkeep_store_writer_queue_depth") == 0.0
    commits = _value(families["watchkeep_store_commit_seconds"], "watchkeep_store_commit_seconds_count")
    assert commits is not None and commits >= 3
    lag = families["watchkeep_event_consumer_lag_events"]
    assert {sample.labels["consumer"] for sample in lag} >= {"alerts", "webhooks"}
    assert _value(families["watchkeep_event_log_last_id"], "watchkeep_event_log_last_id")
    assert _value(families["watchkeep_outbox_pending"], "watchkeep_outbox_pending") == 0.0
    assert _value(families["watchkeep_outbox_failed"], "watchkeep_outbox_failed") == 0.0
    assert _value(families["watchkeep_sse_clients"], "watchkeep_sse_clients") == 0.0
    for name in ("watchkeep_agent_up", "watchkeep_container_up", "watchkeep_containers"):
        assert name in families


async def test_agents_and_containers_have_their_series(hub: RunningHub) -> None:
    key = await hub.user_key("admin", "admin", ["agents:register"])
    registered = (
        await hub.client(key).post("/api/v1/agents/register", json={"name": "edge", "hostname": "edge-1"})
    ).json()
    push = {
        "containers": [{"id": "c1", "name": "web", "status": "running"}, {"id": "c2", "name": "db", "status": "exited"}]
    }
    headers = {"Authorization": f"Bearer {registered['token']}"}
    response = await hub.client().post(f"/api/v1/agents/{registered['agentId']}/push", json=push, headers=headers)
    assert response.status_code == 200, response.text
    families = await _scrape(hub, hub.admin_key)
    agent_id = registered["agentId"]
    assert _value(families["watchkeep_agent_up"], "watchkeep_agent_up", agent_id=agent_id, name="edge") == 1.0
    up = families["watchkeep_container_up"]
    assert _value(up, "watchkeep_container_up", name="web", agent_id=agent_id) == 1.0
    assert _value(up, "watchkeep_container_up", name="db", agent_id=agent_id) == 0.0
    assert _value(families["watchkeep_containers"], "watchkeep_containers", state="exited") == 1.0


async def test_metrics_take_the_metrics_scope(hub: RunningHub) -> None:
    assert (await hub.client().get("/metrics")).status_code == 401
    reader = await hub.user_key("reader", "viewer", ["read"])
    refused = await hub.client(reader).get("/metrics")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden_scope"
    scraper = await hub.user_key("scraper", "viewer", ["metrics"])
    assert (await hub.client(scraper).get("/metrics")).status_code == 200
    # The metrics scope reads nothing else.
    assert (await hub.client(scraper).get("/api/v1/heartbeats")).status_code == 403


async def test_public_metrics_need_no_key(start_hub: StartHub) -> None:
    async with start_hub(metrics_public=True) as hub:
        families = await _scrape(hub, None)
        assert "watchkeep_http_requests" in families


async def test_endpoints_and_certificates_have_their_series(hub: RunningHub) -> None:
    from sqlalchemy import update

    from watchkeep.certificates.tables import certificate_monitors
    from watchkeep.endpoints.tables import endpoints

    created = await hub.admin.post(
        "/api/v1/endpoints", json={"name": "shop", "type": "http", "target": "https://shop.test/"}
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    now = hub.hub.clock.now_ms()
    # As a check would leave them: the endpoint up in 120 ms, its certificate read with 40 days left.
    await hub.hub.store.write(
        lambda conn: conn.execute(
            update(endpoints).where(endpoints.c.id == endpoint["id"]).values(status="up", last_response_ms=120.0)
        )
    )
    await hub.hub.store.write(
        lambda conn: conn.execute(
            update(certificate_monitors).values(
                last_checked_at=now,
                not_before=now - 86_400_000,
                not_after=now + 40 * 86_400_000 + 60_000,
                chain_reason=None,
                hostname_match=True,
            )
        )
    )
    families = await _scrape(hub, hub.admin_key)
    up = families["watchkeep_endpoint_up"]
    assert _value(up, "watchkeep_endpoint_up", endpoint_id=endpoint["id"], name="shop", type="http") == 1.0
    response = families["watchkeep_endpoint_response_seconds"]
    assert _value(response, "watchkeep_endpoint_response_seconds", endpoint_id=endpoint["id"]) == 0.12
    days = families["watchkeep_certificate_days_left"]
    assert _value(days, "watchkeep_certificate_days_left", name="shop.test:443", source="endpoint") == 40.0
    valid = families["watchkeep_certificate_valid"]
    assert _value(valid, "watchkeep_certificate_valid", name="shop.test:443") == 1.0
