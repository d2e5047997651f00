"""The outbound URL policy: internal targets are refused on create, on update and at
delivery (after DNS resolution) unless WATCHKEEP_ALLOW_PRIVATE_TARGETS allows them."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from tests.support.alerting import QUIET_LOOPS, agent_offline, create_channel, deliver
from tests.support.hub import RunningHub
from tests.support.receiver import Receiver
from watchkeep.core.clock import FrozenClock
from watchkeep.notify.urlpolicy import is_internal

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]
STRICT = {**QUIET_LOOPS, "allow_private_targets": False}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",  # a name that resolves to 127.0.0.1
        "http://10.1.2.3/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
async def test_an_internal_channel_target_is_refused_on_create(
    start_hub: StartHub, clock: FrozenClock, url: str
) -> None:
    async with start_hub(clock=clock, **STRICT) as hub:
        response = await hub.admin.post("/api/v1/channels", json={"name": "x", "type": "slack", "config": {"url": url}})
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["field"] == "config.url"
        assert "WATCHKEEP_ALLOW_PRIVATE_TARGETS" in error["message"]
        assert (await hub.admin.get("/api/v1/channels")).json() == []


async def test_internal_targets_of_other_channel_fields_and_webhooks_are_refused(
    start_hub: StartHub, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock, **STRICT) as hub:
        telegram = {"botToken": "1:A", "chatId": "1", "apiUrl": "http://localhost:1"}
        response = await hub.admin.post("/api/v1/channels", json={"name": "t", "type": "telegram", "config": telegram})
        assert response.json()["error"]["field"] == "config.url"
        email = {"to": ["a@b.example"], "host": "127.0.0.1"}
        response = await hub.admin.post("/api/v1/channels", json={"name": "e", "type": "email", "config": email})
        assert response.json()["error"]["field"] == "config.url"
        webhook = await hub.admin.post("/api/v1/webhooks", json={"name": "w", "url": "http://localhost:8/x"})
        assert webhook.status_code == 400
        assert webhook.json()["error"]["field"] == "url"


async def test_an_internal_target_is_refused_on_update(
    start_hub: StartHub, clock: FrozenClock, receiver: Receiver
) -> None:
    async with start_hub(clock=clock, **QUIET_LOOPS) as permissive:
        channel = await create_channel(permissive, "slack", {"url": receiver.url})
    async with start_hub(clock=clock, **STRICT) as hub:
        before = (await hub.admin.get(f"/api/v1/channels/{channel}")).json()["config"]
        body = {"name": "slack channel", "type": "slack", "config": {"url": "http://localhost:1/other"}}
        response = await hub.admin.put(f"/api/v1/channels/{channel}", json=body)
        assert response.status_code == 400
        assert response.json()["error"]["field"] == "config.url"
        assert (await hub.admin.get(f"/api/v1/channels/{channel}")).json()["config"] == before


async def test_an_internal_target_is_refused_at_delivery(
    start_hub: StartHub, clock: FrozenClock, receiver: Receiver
) -> None:
    async with start_hub(clock=clock, **QUIET_LOOPS) as permissive:
        channel = await create_channel(permissive, "webhook", {"url": receiver.url.replace("127.0.0.1", "localhost")})
        await agent_offline(permissive)
    async with start_hub(clock=clock, **STRICT) as hub:
        await deliver(hub)
        [logged] = (await hub.admin.get(f"/api/v1/channels/{channel}/deliveries")).json()
    assert receiver.requests == []
    assert logged["status"] == "failed"
    assert logged["lastError"].startswith("target refused: 'localhost' resolves to")


def test_public_addresses_are_not_internal() -> None:
    assert not is_internal("93.184.216.34")
    assert not is_internal("2606:4700:4700::1111")
    assert is_internal("100.64.0.1")
    assert is_internal("fe80::1%eth0")
