"""A webhook subscription's signing secret is shown once, at create; its URL's credentials are
masked for every role; both are stored encrypted; deliveries still sign with the secret."""

from __future__ import annotations

from sqlalchemy import select

from tests.support.alerting import agent_offline, deliver
from tests.support.hub import RunningHub
from tests.support.receiver import Receiver
from tests.webhooks.test_webhooks import verify
from watchkeep.webhooks.tables import webhooks

SECRET = "webhook-signing-secret-0123456789"
URL_PASSWORD = "url-password-0123456789"
QUERY_TOKEN = "query-token-0123456789"


def credentialed(receiver: Receiver) -> str:
    port = receiver.url.rsplit(":", 1)[1]
    return f"http://hook-user:{URL_PASSWORD}@127.0.0.1:{port}/hooks?token={QUERY_TOKEN}"


async def subscribe(hub: RunningHub, receiver: Receiver) -> dict[str, object]:
    body = {"name": "ops", "url": credentialed(receiver), "secret": SECRET, "eventTypes": ["agent.offline"]}
    response = await hub.admin.post("/api/v1/webhooks", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_the_signing_secret_is_shown_once_and_no_role_sees_credentials(
    hub: RunningHub, receiver: Receiver
) -> None:
    created = await subscribe(hub, receiver)
    assert created["secret"] == SECRET
    port = receiver.url.rsplit(":", 1)[1]
    assert created["url"] == f"http://hook-user:********@127.0.0.1:{port}/hooks?token=********"
    generated = await hub.admin.post("/api/v1/webhooks", json={"name": "gen", "url": f"{receiver.url}/gen"})
    generated_secret = generated.json()["secret"]
    assert generated_secret.startswith("whsec_")
    keys = {"admin": hub.admin_key, "viewer": await hub.user_key("vera", "viewer", ["read"])}
    for role, key in keys.items():
        client = hub.client(key)
        for path in ("/api/v1/webhooks", f"/api/v1/webhooks/{created['id']}"):
            response = await client.get(path)
            assert response.status_code == 200, (role, path)
            for secret in (SECRET, generated_secret, URL_PASSWORD, QUERY_TOKEN):
                assert secret not in response.text, (role, path)
            assert '"secret"' not in response.text


async def test_the_database_row_holds_no_secret(hub: RunningHub, receiver: Receiver) -> None:
    await subscribe(hub, receiver)
    async with hub.hub.store.read() as conn:
        [row] = (await conn.execute(select(webhooks.c.url, webhooks.c.secret))).all()
    for value in row:
        assert value.startswith("wkenc1:")  # sealed (core/crypto.py)
        for secret in (SECRET, URL_PASSWORD, QUERY_TOKEN):
            assert secret not in value


async def test_the_url_sent_back_masked_keeps_the_stored_one_and_deliveries_are_signed(
    hub: RunningHub, receiver: Receiver
) -> None:
    created = await subscribe(hub, receiver)
    update = {"name": "renamed", "url": created["url"], "eventTypes": ["agent.offline"]}
    response = await hub.admin.put(f"/api/v1/webhooks/{created['id']}", json=update)
    assert response.status_code == 200, response.text
    assert response.json()["url"] == created["url"]
    await agent_offline(hub)
    await deliver(hub)
    [request] = receiver.requests
    assert request.path == "/hooks"
    assert verify(request, SECRET)


async def test_masked_credentials_pointed_elsewhere_are_refused(hub: RunningHub, receiver: Receiver) -> None:
    created = await subscribe(hub, receiver)
    port = receiver.url.rsplit(":", 1)[1]
    moved = {
        "name": "ops",
        "url": f"http://hook-user:********@localhost:{port}/hooks?token=********",
        "eventTypes": ["agent.offline"],
    }
    response = await hub.admin.put(f"/api/v1/webhooks/{created['id']}", json=moved)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == "url"
    assert (await hub.admin.get(f"/api/v1/webhooks/{created['id']}")).json()["url"] == created["url"]
