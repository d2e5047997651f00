"""A channel's secrets are write-only: no role sees them, the database holds them encrypted,
and a masked secret sent back is kept only while the channel's destination is unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from tests.support.alerting import agent_offline, create_channel, deliver
from tests.support.hub import RunningHub
from tests.support.receiver import Receiver
from watchkeep.notify.tables import channels

SLACK_PATH = "/services/T000/B000/slack-path-secret-wxyz"
HEADER_TOKEN = "Bearer header-token-0123456789-abcd"
URL_PASSWORD = "url-password-0123456789"
BOT_TOKEN = "123456:bot-token-0123456789-abcd"
PUSHOVER_USER = "pushover-user-key-0123456789-abcd"
SMTP_PASSWORD = "smtp-password-0123456789"


def secrets_in(receiver: Receiver) -> dict[str, tuple[str, dict[str, Any]]]:
    """One channel per kind, each holding secrets that must never be shown."""
    port = receiver.url.rsplit(":", 1)[1]
    return {
        "slack": ("slack", {"url": f"{receiver.url}{SLACK_PATH}"}),
        "webhook": (
            "webhook",
            {
                "url": f"http://hook-user:{URL_PASSWORD}@127.0.0.1:{port}/hook?token=query-token-0123456789",
                "headers": {"Authorization": HEADER_TOKEN},
            },
        ),
        "telegram": ("telegram", {"botToken": BOT_TOKEN, "chatId": "42", "apiUrl": receiver.url}),
        "pushover": ("pushover", {"token": "pushover-app-token-0123456789", "user": PUSHOVER_USER}),
        "email": ("email", {"to": ["ops@example.com"], "host": "127.0.0.1", "password": SMTP_PASSWORD}),
    }


SECRETS = (
    SLACK_PATH,
    "slack-path-secret",
    HEADER_TOKEN,
    "header-token",
    URL_PASSWORD,
    "query-token",
    BOT_TOKEN,
    "bot-token",
    "pushover-app-token",
    PUSHOVER_USER,
    SMTP_PASSWORD,
)


async def stored_config(hub: RunningHub, channel_id: str) -> dict[str, Any]:
    async with hub.hub.store.read() as conn:
        [stored] = (await conn.execute(select(channels.c.config).where(channels.c.id == channel_id))).scalars()
    config: dict[str, Any] = json.loads(hub.hub.secrets.open(stored))
    return config


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


async def test_no_role_sees_a_stored_secret(hub: RunningHub, receiver: Receiver) -> None:
    ids = [await create_channel(hub, kind, config, name=name) for name, (kind, config) in secrets_in(receiver).items()]
    keys = {
        "admin": hub.admin_key,
        "editor": await hub.user_key("eddie", "editor", ["write"]),
        "viewer": await hub.user_key("vera", "viewer", ["read"]),
    }
    for role, key in keys.items():
        client = hub.client(key)
        listed = await client.get("/api/v1/channels")
        assert listed.status_code == 200
        assert leaked(listed.text) == [], role
        for channel_id in ids:
            shown = await client.get(f"/api/v1/channels/{channel_id}")
            assert shown.status_code == 200
            assert leaked(shown.text) == [], role


async def test_secrets_are_shown_masked_with_the_host_and_last_four_characters(
    hub: RunningHub, receiver: Receiver
) -> None:
    channel = await create_channel(
        hub,
        "webhook",
        {
            "url": f"http://hook-user:{URL_PASSWORD}@127.0.0.1:9/hook?token=query-token-0123456789&x=",
            "headers": {"Authorization": HEADER_TOKEN, "X-Short": "short"},
        },
    )
    slack = await create_channel(hub, "slack", {"url": f"{receiver.url}{SLACK_PATH}"})
    config = (await hub.admin.get(f"/api/v1/channels/{channel}")).json()["config"]
    assert config == {
        "url": "http://hook-user:********@127.0.0.1:9/hook?token=********&x=",
        "headers": {"Authorization": "********abcd", "X-Short": "********"},
    }
    assert (await hub.admin.get(f"/api/v1/channels/{slack}")).json()["config"] == {
        "url": "http://127.0.0.1/********wxyz"
    }


async def test_the_database_row_holds_no_secret(hub: RunningHub, receiver: Receiver) -> None:
    for name, (kind, config) in secrets_in(receiver).items():
        await create_channel(hub, kind, config, name=name)
    async with hub.hub.store.read() as conn:
        stored = list((await conn.execute(select(channels.c.config))).scalars())
    assert len(stored) == 5
    for value in stored:
        assert value.startswith("wkenc1:")  # sealed (core/crypto.py)
        assert leaked(value) == []


async def test_a_masked_secret_kept_with_the_same_destination_still_delivers(
    hub: RunningHub, receiver: Receiver
) -> None:
    channel = await create_channel(
        hub, "webhook", {"url": f"{receiver.url}/hook", "headers": {"Authorization": HEADER_TOKEN}}
    )
    slack = await create_channel(hub, "slack", {"url": f"{receiver.url}{SLACK_PATH}"})
    for channel_id, kind in ((channel, "webhook"), (slack, "slack")):
        shown = (await hub.admin.get(f"/api/v1/channels/{channel_id}")).json()
        update = {"name": f"renamed {kind}", "type": kind, "config": shown["config"]}
        response = await hub.admin.put(f"/api/v1/channels/{channel_id}", json=update)
        assert response.status_code == 200, response.text
        assert response.json()["config"] == shown["config"]
    # The bare mask means "keep it" too.
    bare = {"url": f"{receiver.url}/hook", "headers": {"Authorization": "********"}}
    response = await hub.admin.put(
        f"/api/v1/channels/{channel}", json={"name": "renamed webhook", "type": "webhook", "config": bare}
    )
    assert response.status_code == 200, response.text
    await agent_offline(hub)
    await deliver(hub)
    by_path = {request.path: request for request in receiver.requests}
    assert by_path["/hook"].headers["authorization"] == HEADER_TOKEN
    assert SLACK_PATH in by_path


@pytest.mark.parametrize(
    ("kind", "config", "changed", "field"),
    [
        ("gotify", {"token": "gotify-token-0123456789"}, {"url": "http://localhost:{port}/"}, "config.token"),
        (
            "webhook",
            {"headers": {"Authorization": HEADER_TOKEN}},
            {"url": "http://localhost:{port}/elsewhere"},
            "config.headers.Authorization",
        ),
        ("telegram", {"botToken": BOT_TOKEN, "chatId": "42"}, {"chatId": "666"}, "config.botToken"),
        ("telegram", {"botToken": BOT_TOKEN, "chatId": "42"}, {"apiUrl": "http://localhost:{port}"}, "config.botToken"),
        (
            "pushover",
            {"token": "pushover-app-token-0123456789", "user": PUSHOVER_USER},
            {"apiUrl": "http://localhost:{port}"},
            "config.token",
        ),
        ("ntfy", {"token": "ntfy-token-0123456789"}, {"url": "http://localhost:{port}/topic"}, "config.token"),
        ("email", {"to": ["ops@example.com"], "password": SMTP_PASSWORD}, {"host": "localhost"}, "config.password"),
    ],
)
async def test_a_masked_secret_is_not_kept_when_the_destination_changes(
    hub: RunningHub, receiver: Receiver, kind: str, config: dict[str, Any], changed: dict[str, str], field: str
) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    url_field = "apiUrl" if kind in ("telegram", "pushover") else "url"
    original = {**config, url_field: receiver.url} if kind != "email" else {**config, "host": "127.0.0.1"}
    channel = await create_channel(hub, kind, original)
    stored_before = await stored_config(hub, channel)
    before = (await hub.admin.get(f"/api/v1/channels/{channel}")).json()
    moved = {**before["config"], **{k: v.format(port=port) for k, v in changed.items()}}
    response = await hub.admin.put(
        f"/api/v1/channels/{channel}", json={"name": before["name"], "type": kind, "config": moved}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["field"] == field
    assert await stored_config(hub, channel) == stored_before


async def test_the_same_change_with_the_secret_given_again_is_accepted(hub: RunningHub, receiver: Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    channel = await create_channel(hub, "gotify", {"url": receiver.url, "token": "gotify-token-0123456789"})
    body = {"name": "moved", "type": "gotify", "config": {"url": f"http://localhost:{port}", "token": "new-token-1"}}
    response = await hub.admin.put(f"/api/v1/channels/{channel}", json=body)
    assert response.status_code == 200, response.text
    await hub.admin.post(f"/api/v1/channels/{channel}/test")
    assert receiver.requests[-1].headers["x-gotify-key"] == "new-token-1"


@pytest.mark.parametrize("value", ["********", "********abcd", "http://127.0.0.1/********abcd"])
async def test_a_mask_is_never_stored_as_a_secret(hub: RunningHub, receiver: Receiver, value: str) -> None:
    body = {"name": "masked", "type": "gotify", "config": {"url": receiver.url, "token": value}}
    response = await hub.admin.post("/api/v1/channels", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "config.token"
    channel = await create_channel(hub, "slack", {"url": f"{receiver.url}{SLACK_PATH}"})
    other = {"name": "slack channel", "type": "slack", "config": {"url": "http://127.0.0.1/********zzzz"}}
    refused = await hub.admin.put(f"/api/v1/channels/{channel}", json=other)
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "config.url"
