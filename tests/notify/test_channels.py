"""Every HTTP channel type delivers its own message format to a real receiver on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.alerting import agent_offline, create_channel, deliver, only_alert
from tests.support.hub import RunningHub
from tests.support.receiver import Captured, Receiver
from watchkeep.core.clock import FrozenClock, rfc3339


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


TITLE = "[CRITICAL] web-1: agent web-1 is offline"
TEXT = "agent web-1 is offline\nagent: web-1\nsource: agent (agent_offline)"


async def one_message(hub: RunningHub, receiver: Receiver) -> tuple[Captured, dict[str, Any], str]:
    await agent_offline(hub, "agt_1", "web-1")
    await deliver(hub)
    [request] = receiver.requests
    return request, await only_alert(hub), request.headers["x-watchkeep-delivery"]


async def test_slack_gets_blocks(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "slack", {"url": f"{receiver.url}/services/T0/B0/xyz"})
    request, alert, delivery = await one_message(hub, receiver)
    assert request.path == "/services/T0/B0/xyz"
    assert request.json() == {
        "text": TITLE,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": TITLE}},
            {"type": "section", "text": {"type": "mrkdwn", "text": TEXT}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"<http://hub.test/alerts/{alert['id']}|Open in watchkeep> · {delivery}",
                    }
                ],
            },
        ],
    }


async def test_discord_gets_an_embed(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "discord", {"url": f"{receiver.url}/api/webhooks/1/abc"})
    request, alert, delivery = await one_message(hub, receiver)
    assert request.json() == {
        "username": "watchkeep",
        "embeds": [
            {
                "title": TITLE,
                "description": TEXT,
                "url": f"http://hub.test/alerts/{alert['id']}",
                "color": 0xD93025,
                "fields": [{"name": "web-1", "value": "critical · firing · agent web-1 is offline", "inline": False}],
                "footer": {"text": delivery},
            }
        ],
    }


async def test_teams_gets_an_adaptive_card(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "teams", {"url": f"{receiver.url}/workflows/run"})
    request, alert, _ = await one_message(hub, receiver)
    assert request.json() == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": TITLE,
                            "weight": "Bolder",
                            "size": "Medium",
                            "wrap": True,
                            "color": "attention",
                        },
                        {"type": "TextBlock", "text": TEXT, "wrap": True},
                        {
                            "type": "FactSet",
                            "facts": [{"title": "web-1", "value": "critical · firing · agent web-1 is offline"}],
                        },
                    ],
                    "actions": [
                        {
                            "type": "Action.OpenUrl",
                            "title": "Open in watchkeep",
                            "url": f"http://hub.test/alerts/{alert['id']}",
                        }
                    ],
                },
            }
        ],
    }


async def test_a_generic_webhook_gets_json_and_its_headers(
    hub: RunningHub, receiver: Receiver, clock: FrozenClock
) -> None:
    await create_channel(hub, "webhook", {"url": f"{receiver.url}/in", "headers": {"X-Team": "ops"}})
    request, alert, delivery = await one_message(hub, receiver)
    assert request.headers["x-team"] == "ops"
    assert request.json() == {
        "deliveryId": delivery,
        "kind": "alert",
        "title": TITLE,
        "text": TEXT,
        "severity": "critical",
        "link": f"http://hub.test/alerts/{alert['id']}",
        "alerts": [
            {
                "alertId": alert["id"],
                "state": "firing",
                "source": "agent",
                "type": "agent_offline",
                "severity": "critical",
                "message": "agent web-1 is offline",
                "entityType": "agent",
                "entityId": "agt_1",
                "entityName": "web-1",
                "firedAt": rfc3339(clock.now_ms()),
                "resolvedAt": None,
                "labels": {},
                "repeat": False,
            }
        ],
    }


async def test_ntfy_gets_text_with_title_priority_and_tags(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "ntfy", {"url": f"{receiver.url}/alerts-topic", "token": "tk_secret"})
    request, alert, _ = await one_message(hub, receiver)
    assert request.path == "/alerts-topic"
    assert request.body.decode() == TEXT
    assert request.headers["title"] == TITLE
    assert request.headers["priority"] == "5"
    assert request.headers["tags"] == "rotating_light"
    assert request.headers["click"] == f"http://hub.test/alerts/{alert['id']}"
    assert request.headers["authorization"] == "Bearer tk_secret"


async def test_gotify_gets_a_message_with_its_app_token(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "gotify", {"url": f"{receiver.url}/gotify/", "token": "AppToken1"})
    request, alert, _ = await one_message(hub, receiver)
    assert request.path == "/gotify/message"
    assert request.headers["x-gotify-key"] == "AppToken1"
    assert request.json() == {
        "title": TITLE,
        "message": TEXT,
        "priority": 8,
        "extras": {
            "client::display": {"contentType": "text/plain"},
            "client::notification": {"click": {"url": f"http://hub.test/alerts/{alert['id']}"}},
        },
    }


async def test_telegram_gets_send_message_with_html(hub: RunningHub, receiver: Receiver) -> None:
    config = {"botToken": "123:ABC", "chatId": "-100200", "apiUrl": receiver.url}
    await create_channel(hub, "telegram", config)
    request, alert, _ = await one_message(hub, receiver)
    assert request.path == "/bot123:ABC/sendMessage"
    link = f"http://hub.test/alerts/{alert['id']}"
    assert request.json() == {
        "chat_id": "-100200",
        "text": f'<b>{TITLE}</b>\n{TEXT}\n<a href="{link}">Open</a>',
        "parse_mode": "HTML",
        "disable_web_page_preview": True,
    }


async def test_pushover_gets_a_form(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "pushover", {"token": "apptoken", "user": "userkey", "apiUrl": receiver.url})
    request, alert, _ = await one_message(hub, receiver)
    assert request.path == "/1/messages.json"
    assert request.form() == {
        "token": "apptoken",
        "user": "userkey",
        "title": TITLE,
        "message": TEXT,
        "priority": "1",
        "url": f"http://hub.test/alerts/{alert['id']}",
        "url_title": "Open in watchkeep",
    }


async def test_apprise_delivers_through_its_own_url_scheme(hub: RunningHub, receiver: Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    channel = await create_channel(hub, "apprise", {"url": f"json://127.0.0.1:{port}/apprise"})
    await agent_offline(hub, "agt_1", "web-1")
    await deliver(hub)
    [request] = receiver.requests
    alert = await only_alert(hub)
    [logged] = (await hub.admin.get(f"/api/v1/channels/{channel}/deliveries")).json()
    delivery = logged["id"]
    assert logged["status"] == "delivered"
    assert request.path == "/apprise"
    body = request.json()
    assert body["title"] == TITLE
    assert body["message"] == f"{TEXT}\n\nhttp://hub.test/alerts/{alert['id']}\n({delivery})"


async def test_the_test_route_sends_a_real_message_and_reports_it(hub: RunningHub, receiver: Receiver) -> None:
    channel = await create_channel(hub, "slack", {"url": receiver.url})
    response = await hub.admin.post(f"/api/v1/channels/{channel}/test")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["statusCode"] == 200
    [request] = receiver.requests
    assert request.json()["text"] == "watchkeep test message"
    assert request.headers["x-watchkeep-delivery"] == body["deliveryId"]


async def test_the_test_route_reports_a_failure(hub: RunningHub, receiver: Receiver) -> None:
    channel = await create_channel(hub, "discord", {"url": receiver.url})
    receiver.fail_next(500)
    body = (await hub.admin.post(f"/api/v1/channels/{channel}/test")).json()
    assert body["ok"] is False
    # The status and its reason, never what the target wrote in its body.
    assert body["error"] == "HTTP 500 Internal Server Error"


async def test_secrets_are_masked_and_kept_when_sent_back_masked(hub: RunningHub, receiver: Receiver) -> None:
    channel = await create_channel(hub, "gotify", {"url": receiver.url, "token": "AppToken1"})
    shown = (await hub.admin.get(f"/api/v1/channels/{channel}")).json()
    assert shown["config"] == {"url": receiver.url, "token": "********"}
    update = {"name": "renamed", "type": "gotify", "config": shown["config"]}
    assert (await hub.admin.put(f"/api/v1/channels/{channel}", json=update)).status_code == 200
    await hub.admin.post(f"/api/v1/channels/{channel}/test")
    assert receiver.requests[0].headers["x-gotify-key"] == "AppToken1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "type": "pager", "config": {}}, "type"),
        ({"name": "x", "type": "slack", "config": {}}, "config.url"),
        ({"name": "x", "type": "slack", "config": {"url": "ftp://example.com/x"}}, "config.url"),
        ({"name": "x", "type": "email", "config": {"to": ["not-an-address"]}}, "config.to"),
        ({"name": "x", "type": "telegram", "config": {"botToken": "1:A"}}, "config.chatId"),
        ({"name": "x", "type": "webhook", "config": {"url": "http://x.test", "colour": 1}}, "config.colour"),
    ],
)
async def test_a_bad_channel_is_refused_by_field(hub: RunningHub, body: dict[str, Any], field: str) -> None:
    response = await hub.admin.post("/api/v1/channels", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert (await hub.admin.get("/api/v1/channels")).json() == []


async def test_a_duplicate_channel_name_is_a_conflict(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "slack", {"url": receiver.url}, name="ops")
    again = await hub.admin.post("/api/v1/channels", json={"name": "ops", "type": "slack", "config": {"url": "x"}})
    assert again.status_code in (400, 409)
    duplicate = await hub.admin.post(
        "/api/v1/channels", json={"name": "ops", "type": "slack", "config": {"url": receiver.url}}
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["field"] == "name"
