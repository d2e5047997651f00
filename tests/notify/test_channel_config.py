"""A channel's config is checked where it ends up (a header, an email header, a URL path) when
it is created or changed: a 400 naming the field. A config stored before a rule tightened
(or written around the API) makes a test send report the problem, never a 500, and makes
the delivery loop fail the message as permanent at once instead of retrying it.

Outbound URLs carry secrets (bot tokens, webhook path secrets, user:pass@, ?token=): no log
line shows them."""

from __future__ import annotations

import json
import logging
from email.header import decode_header
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.support.alerting import agent_offline, create_channel, deliver
from tests.support.hub import RunningHub
from tests.support.receiver import Receiver
from watchkeep.notify import repository as notify_repo
from watchkeep.notify.redact import redact_url

URL = "http://127.0.0.1:9/hook"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.mark.parametrize(
    ("kind", "config", "field"),
    [
        ("webhook", {"url": URL, "headers": {"Host": "internal.example"}}, "config.headers.Host"),
        ("webhook", {"url": URL, "headers": {"content-length": "0"}}, "config.headers.content-length"),
        ("webhook", {"url": URL, "headers": {"Transfer-Encoding": "chunked"}}, "config.headers.Transfer-Encoding"),
        ("webhook", {"url": URL, "headers": {"Connection": "close"}}, "config.headers.Connection"),
        ("webhook", {"url": URL, "headers": {"X-Team": "ops\r\nX-Injected: 1"}}, "config.headers.X-Team"),
        ("webhook", {"url": URL, "headers": {"X-Team": "équipe"}}, "config.headers.X-Team"),
        ("webhook", {"url": URL, "headers": {"X Team": "ops"}}, "config.headers.X Team"),
        ("email", {"to": ["ops@example.com\r\nBcc: spy@example.net"]}, "config.to"),
        ("email", {"to": ["ops@example.com"], "fromAddress": "hub@example.com\r\nBcc: x@e.net"}, "config.fromAddress"),
        ("email", {"to": ["ops@example.com"], "username": "hub\r\nRCPT TO:<spy@example.net>"}, "config.username"),
        ("gotify", {"url": URL, "token": "AppToken1\r\nX-Injected: 1"}, "config.token"),
        ("ntfy", {"url": URL, "token": "tk\nX-Injected: 1"}, "config.token"),
        ("telegram", {"botToken": "1:A/../../other", "chatId": "1", "apiUrl": URL}, "config.botToken"),
    ],
)
async def test_a_config_value_that_cannot_be_sent_safely_is_refused_on_create_and_update(
    hub: RunningHub, kind: str, config: dict[str, Any], field: str
) -> None:
    response = await hub.admin.post("/api/v1/channels", json={"name": "bad", "type": kind, "config": config})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert (await hub.admin.get("/api/v1/channels")).json() == []

    good = {**config, "headers": {}} if kind == "webhook" else None
    if good is not None:
        channel = await create_channel(hub, kind, good)
        body = {"name": "webhook channel", "type": kind, "config": config}
        response = await hub.admin.put(f"/api/v1/channels/{channel}", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["field"] == field
        assert (await hub.admin.get(f"/api/v1/channels/{channel}")).json()["config"]["headers"] == {}


BROKEN_EMAIL = {
    "to": ["ops@example.com"],
    "fromAddress": "hub@example.com\r\nBcc: spy@example.net",
    "host": "127.0.0.1",
    "port": 9,
    "security": "none",
}


async def _store_config(hub: RunningHub, channel: str, config: dict[str, Any]) -> None:
    """Write a config the API would refuse, as one stored before the rules tightened."""

    async def unit(conn: AsyncConnection) -> None:
        await notify_repo.update_channel(conn, channel, {"config": json.dumps(config)})

    await hub.hub.store.write(unit)


async def test_a_test_send_with_a_stored_config_that_is_no_longer_valid_reports_it(hub: RunningHub) -> None:
    channel = await create_channel(hub, "email", {**BROKEN_EMAIL, "fromAddress": "hub@example.com"})
    await _store_config(hub, channel, BROKEN_EMAIL)
    response = await hub.admin.post(f"/api/v1/channels/{channel}/test")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["ok"] is False
    assert answer["error"].startswith("invalid channel configuration: config.fromAddress")


async def test_the_delivery_loop_fails_a_stored_config_error_at_once(hub: RunningHub) -> None:
    channel = await create_channel(hub, "email", {**BROKEN_EMAIL, "fromAddress": "hub@example.com"})
    await _store_config(hub, channel, BROKEN_EMAIL)
    await agent_offline(hub)
    await deliver(hub)
    [logged] = (await hub.admin.get(f"/api/v1/channels/{channel}/deliveries")).json()
    shown = (await hub.admin.get(f"/api/v1/channels/{channel}")).json()
    assert logged["status"] == "failed"
    assert logged["attempts"] == 1
    assert logged["lastError"].startswith("invalid channel configuration: config.fromAddress")
    assert shown["enabled"] is False


async def test_a_send_logs_no_secret_of_its_url(
    hub: RunningHub, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    telegram = await create_channel(
        hub, "telegram", {"botToken": "123456:BotSecretToken", "chatId": "1", "apiUrl": receiver.url}
    )
    with_secrets = receiver.url.replace("http://", "http://hub:hunter2pass@")
    webhook = await create_channel(
        hub, "webhook", {"url": f"{with_secrets}/services/T0AAA/B0BBB/PathSecretValue42?token=QuerySecret"}
    )
    for channel in (telegram, webhook):
        assert (await hub.admin.post(f"/api/v1/channels/{channel}/test")).json()["ok"] is True
    assert len(receiver.requests) == 2
    # The receiver (the target, run by uvicorn in this process) logs what it received: that is
    # the target's log, not the hub's.
    logged = "\n".join(
        f"{record.name} {record.getMessage()}" for record in caplog.records if not record.name.startswith("uvicorn")
    )
    for secret in ("BotSecretToken", "hunter2pass", "PathSecretValue42", "QuerySecret"):
        assert secret not in logged
    port = receiver.url.rsplit(":", 1)[1]
    assert f"outbound POST http://127.0.0.1:{port}/***/sendMessage: delivered" in logged
    assert f"outbound POST http://***@127.0.0.1:{port}/services/***/***/***?token=***: delivered" in logged


async def test_ntfy_gets_a_title_that_is_not_ascii_encoded_for_its_header(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "ntfy", {"url": f"{receiver.url}/alerts-topic"})
    await agent_offline(hub, "agt_1", "serveur-café")
    await deliver(hub)
    [request] = receiver.requests
    [(title, charset)] = decode_header(request.headers["title"])
    assert isinstance(title, bytes) and charset == "utf-8"
    assert title.decode() == "[CRITICAL] serveur-café: agent serveur-café is offline"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://discord.com/api/webhooks/123456789/AbCdEf-token_value",
            "https://discord.com/api/webhooks/***/***",
        ),
        (
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "https://hooks.slack.com/services/***/***/***",
        ),
        (
            "https://prod.westus.logic.azure.com:443/workflows/0a1b2c/triggers/manual/paths/invoke?api-version=1&sig=s3cr3t",
            "https://prod.westus.logic.azure.com:443/workflows/***/triggers/manual/paths/invoke?***&sig=***",
        ),
        ("https://ntfy.example/alerts?auth=dG9rZW4", "https://ntfy.example/alerts?auth=***"),
        ("http://user:pw@[::1]:8080/hook", "http://***@[::1]:8080/hook"),
    ],
)
def test_an_outbound_url_is_logged_without_its_secrets(url: str, shown: str) -> None:
    assert redact_url(url) == shown
