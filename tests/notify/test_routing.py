"""Routing rules: what each channel receives, repeats while firing, send on resolve."""

from __future__ import annotations

import pytest

from tests.support.alerting import agent_offline, agent_online, create_channel, deliver
from tests.support.hub import RunningHub
from tests.support.receiver import Receiver
from watchkeep.alerts.service import AlertService, Condition
from watchkeep.core.clock import FrozenClock


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def received(receiver: Receiver, path: str) -> list[tuple[str, str]]:
    return [
        (r.json()["alerts"][0]["entityId"], r.json()["alerts"][0]["state"]) for r in receiver.requests if r.path == path
    ]


async def add_rule(hub: RunningHub, channel: str, **rule: object) -> str:
    response = await hub.admin.post(f"/api/v1/channels/{channel}/rules", json=rule)
    assert response.status_code == 201, response.text
    rule_id: str = response.json()["id"]
    return rule_id


async def test_rules_choose_what_each_channel_receives(hub: RunningHub, receiver: Receiver) -> None:
    agents = await create_channel(hub, "webhook", {"url": f"{receiver.url}/agents"}, name="agents")
    await add_rule(hub, agents, matchers={"source": "agent"})
    labelled = await create_channel(hub, "webhook", {"url": f"{receiver.url}/prod"}, name="prod")
    await add_rule(hub, labelled, matchers={"labels": {"env": "prod"}, "severity": "critical"})
    await create_channel(hub, "webhook", {"url": f"{receiver.url}/all"}, name="everything")
    service = AlertService(hub.hub)
    await agent_offline(hub, "agt_1")
    await service.report(
        Condition("endpoint", "down", "endpoint", "ep_1", True, "critical", "down", labels={"env": "prod"})
    )
    await service.report(
        Condition("endpoint", "down", "endpoint", "ep_2", True, "critical", "down", labels={"env": "dev"})
    )
    await service.report(
        Condition("endpoint", "slow", "endpoint", "ep_3", True, "warning", "slow", labels={"env": "prod"})
    )
    await deliver(hub)
    assert received(receiver, "/agents") == [("agt_1", "firing")]
    assert received(receiver, "/prod") == [("ep_1", "firing")]
    assert sorted(received(receiver, "/all")) == [
        ("agt_1", "firing"),
        ("ep_1", "firing"),
        ("ep_2", "firing"),
        ("ep_3", "firing"),
    ]


async def test_a_rule_can_leave_out_resolutions(hub: RunningHub, receiver: Receiver) -> None:
    quiet = await create_channel(hub, "webhook", {"url": f"{receiver.url}/quiet"}, name="quiet")
    await add_rule(hub, quiet, sendResolved=False)
    await create_channel(hub, "webhook", {"url": f"{receiver.url}/loud"}, name="loud")
    await agent_offline(hub)
    await deliver(hub)
    await agent_online(hub)
    await deliver(hub)
    assert received(receiver, "/quiet") == [("agt_1", "firing")]
    assert received(receiver, "/loud") == [("agt_1", "firing"), ("agt_1", "resolved")]


async def test_a_rule_repeats_while_firing_until_acknowledged(
    hub: RunningHub, receiver: Receiver, clock: FrozenClock
) -> None:
    channel = await create_channel(hub, "webhook", {"url": receiver.url})
    await add_rule(hub, channel, repeatIntervalSeconds=600)
    await agent_offline(hub)
    await deliver(hub)
    service = AlertService(hub.hub)
    clock.advance(599)
    await service.evaluate()
    await deliver(hub)
    assert len(receiver.requests) == 1
    clock.advance(1)
    await service.evaluate()
    await service.evaluate()
    await deliver(hub)
    assert len(receiver.requests) == 2
    assert receiver.requests[1].json()["alerts"][0]["repeat"] is True
    alert_id = receiver.requests[0].json()["alerts"][0]["alertId"]
    await hub.admin.post(f"/api/v1/alerts/{alert_id}/acknowledge")
    clock.advance(3600)
    await service.evaluate()
    await deliver(hub)
    assert len(receiver.requests) == 2


async def test_deleting_a_rule_makes_the_channel_receive_everything_again(hub: RunningHub, receiver: Receiver) -> None:
    channel = await create_channel(hub, "webhook", {"url": receiver.url})
    rule = await add_rule(hub, channel, matchers={"source": "certificate"})
    await agent_offline(hub, "agt_1")
    await deliver(hub)
    assert receiver.requests == []
    assert (await hub.admin.delete(f"/api/v1/channels/{channel}/rules/{rule}")).status_code == 204
    assert (await hub.admin.get(f"/api/v1/channels/{channel}")).json()["rules"] == []
    await agent_offline(hub, "agt_2")
    await deliver(hub)
    assert len(receiver.requests) == 1


async def test_a_bad_rule_is_refused_by_field(hub: RunningHub, receiver: Receiver) -> None:
    channel = await create_channel(hub, "webhook", {"url": receiver.url})
    response = await hub.admin.post(f"/api/v1/channels/{channel}/rules", json={"repeatIntervalSeconds": 5})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "repeatIntervalSeconds"
    missing = await hub.admin.post("/api/v1/channels/chn_nope/rules", json={})
    assert missing.status_code == 404
    assert (await hub.admin.get(f"/api/v1/channels/{channel}")).json()["rules"] == []
