"""Webhook subscriptions: signed deliveries through the outbox, event filters, the test
route, and disabling a subscription that keeps failing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from tests.support.alerting import QUIET_LOOPS, agent_offline, deliver, only_alert
from tests.support.hub import RunningHub
from tests.support.receiver import Captured, Receiver
from watchkeep.core.clock import FrozenClock, rfc3339
from watchkeep.core.events import WebhookDisabled

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]
SECRET = "a-shared-secret-of-some-length"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def verify(request: Captured, secret: str) -> bool:
    """A receiver's own check, written from the documented scheme only."""
    timestamp = request.headers["x-watchkeep-timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers["x-watchkeep-signature"], "sha256=" + expected)


async def subscribe(hub: RunningHub, receiver: Receiver, **body: object) -> dict[str, object]:
    payload = {"name": "ops", "url": f"{receiver.url}/hooks", "secret": SECRET, **body}
    response = await hub.admin.post("/api/v1/webhooks", json=payload)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_an_alert_is_delivered_signed_with_the_documented_body(
    hub: RunningHub, receiver: Receiver, clock: FrozenClock
) -> None:
    await subscribe(hub, receiver, eventTypes=["alert.fired"])
    await agent_offline(hub, "agt_1", "web-1")
    await deliver(hub)
    alert = await only_alert(hub)
    [request] = receiver.requests
    assert verify(request, SECRET)
    assert not verify(request, "another-secret-entirely")
    delivery = request.headers["x-watchkeep-delivery"]
    assert request.headers["x-watchkeep-event"] == "alert.fired"
    assert request.headers["x-watchkeep-timestamp"] == str(clock.now_ms() // 1000)
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {
        "id": delivery,
        "type": "alert.fired",
        "timestamp": rfc3339(clock.now_ms()),
        "data": {
            "alertId": alert["id"],
            "source": "agent",
            "alertType": "agent_offline",
            "severity": "critical",
            "message": "agent web-1 is offline",
            "entityType": "agent",
            "entityId": "agt_1",
            "entityName": "web-1",
            "silenced": False,
            "upgraded": False,
        },
    }


async def test_a_retry_is_signed_anew_over_the_same_body(
    hub: RunningHub, receiver: Receiver, clock: FrozenClock
) -> None:
    await subscribe(hub, receiver, eventTypes=["agent.offline"])
    receiver.fail_next(502)
    await agent_offline(hub)
    await deliver(hub)
    clock.advance(45)
    await deliver(hub)
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["x-watchkeep-delivery"] == second.headers["x-watchkeep-delivery"]
    assert int(second.headers["x-watchkeep-timestamp"]) == int(first.headers["x-watchkeep-timestamp"]) + 45
    assert verify(first, SECRET)
    assert verify(second, SECRET)


async def test_the_event_filter_selects_event_types(hub: RunningHub, receiver: Receiver) -> None:
    await subscribe(hub, receiver, name="all", url=f"{receiver.url}/all", eventTypes=["*"])
    await subscribe(hub, receiver, name="resolved", url=f"{receiver.url}/resolved", eventTypes=["alert.resolved"])
    await agent_offline(hub)
    await deliver(hub)
    everything = sorted(r.headers["x-watchkeep-event"] for r in receiver.requests if r.path == "/all")
    assert everything == ["agent.offline", "alert.fired"]
    assert [r for r in receiver.requests if r.path == "/resolved"] == []


async def test_the_test_route_delivers_through_the_outbox_and_reports(hub: RunningHub, receiver: Receiver) -> None:
    created = await subscribe(hub, receiver, eventTypes=["alert.resolved"])
    response = await hub.admin.post(f"/api/v1/webhooks/{created['id']}/test")
    body = response.json()
    assert body["ok"] is True
    [request] = receiver.requests
    assert verify(request, SECRET)
    assert request.headers["x-watchkeep-event"] == "webhook.test"
    assert request.json()["id"] == body["deliveryId"]
    deliveries = (await hub.admin.get(f"/api/v1/webhooks/{created['id']}/deliveries")).json()
    assert [(d["id"], d["status"]) for d in deliveries] == [(body["deliveryId"], "delivered")]


async def test_a_webhook_that_keeps_failing_is_disabled_with_an_event(
    start_hub: StartHub, receiver: Receiver, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock, webhook_max_failures=3, **QUIET_LOOPS) as hub:
        created = await subscribe(hub, receiver, eventTypes=["agent.offline"])
        receiver.fail_next(500, 500, 500)
        async with hub.hub.bus.stream() as events:
            await agent_offline(hub, "agt_0")
            await deliver(hub)
            clock.advance(31)
            await deliver(hub)
            clock.advance(61)
            await deliver(hub)  # the third failure in a row disables it
            published = [events.get_nowait() for _ in range(events.qsize())]
        shown = (await hub.admin.get(f"/api/v1/webhooks/{created['id']}")).json()
        await agent_offline(hub, "agt_9")
        clock.advance(3600)
        await deliver(hub)
        deliveries = (await hub.admin.get(f"/api/v1/webhooks/{created['id']}/deliveries")).json()
    assert shown["enabled"] is False
    assert shown["consecutiveFailures"] == 3
    assert shown["lastError"] == "HTTP 500 Internal Server Error"
    assert shown["disabledAt"] == rfc3339(clock.now_ms() - 3_600_000)
    disabled = [e for e in published if isinstance(e, WebhookDisabled)]
    assert [(e.webhook_id, e.consecutive_failures) for e in disabled] == [(created["id"], 3)]
    assert len(receiver.requests) == 3
    assert [(d["status"], d["attempts"], d["lastError"]) for d in deliveries] == [("cancelled", 3, "webhook disabled")]


async def test_a_success_resets_the_failure_count(hub: RunningHub, receiver: Receiver, clock: FrozenClock) -> None:
    created = await subscribe(hub, receiver, eventTypes=["agent.offline"])
    receiver.fail_next(500)
    await agent_offline(hub)
    await deliver(hub)
    assert (await hub.admin.get(f"/api/v1/webhooks/{created['id']}")).json()["consecutiveFailures"] == 1
    clock.advance(31)
    await deliver(hub)
    assert (await hub.admin.get(f"/api/v1/webhooks/{created['id']}")).json()["consecutiveFailures"] == 0


async def test_the_secret_is_shown_once_and_generated_when_not_given(hub: RunningHub, receiver: Receiver) -> None:
    response = await hub.admin.post("/api/v1/webhooks", json={"name": "gen", "url": receiver.url})
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert created["eventTypes"] == ["*"]
    listed = (await hub.admin.get("/api/v1/webhooks")).json()
    assert "secret" not in listed[0]
    assert (await hub.admin.delete(f"/api/v1/webhooks/{created['id']}")).status_code == 204
    assert (await hub.admin.get("/api/v1/webhooks")).json() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "url": "http://x.test", "eventTypes": ["alert.fired", "alert.exploded"]}, "eventTypes[1]"),
        ({"name": "x", "url": "http://x.test", "eventTypes": []}, "eventTypes"),
        ({"name": "x", "url": "http://x.test", "secret": "short"}, "secret"),
        ({"name": "x", "url": "gopher://x.test"}, "url"),
    ],
)
async def test_a_bad_subscription_is_refused_by_field(hub: RunningHub, body: dict[str, object], field: str) -> None:
    response = await hub.admin.post("/api/v1/webhooks", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert (await hub.admin.get("/api/v1/webhooks")).json() == []


async def test_an_update_checks_the_url_and_re_enabling_resets_failures(
    start_hub: StartHub, receiver: Receiver, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock, webhook_max_failures=1, **QUIET_LOOPS) as hub:
        created = await subscribe(hub, receiver, eventTypes=["agent.offline"])
        receiver.fail_next(500)
        await agent_offline(hub)
        await deliver(hub)
        assert (await hub.admin.get(f"/api/v1/webhooks/{created['id']}")).json()["enabled"] is False
        body = {"name": "ops", "url": f"{receiver.url}/hooks", "eventTypes": ["agent.offline"], "enabled": True}
        updated = (await hub.admin.put(f"/api/v1/webhooks/{created['id']}", json=body)).json()
        assert updated["enabled"] is True
        assert updated["consecutiveFailures"] == 0
        bad = await hub.admin.put(f"/api/v1/webhooks/{created['id']}", json={**body, "url": "ftp://x"})
        assert bad.json()["error"]["field"] == "url"
