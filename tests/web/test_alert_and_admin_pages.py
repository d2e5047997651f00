"""The alert, notification and admin pages over HTTP, signed in through the login form as a
person is: what each role may do, errors next to their fields, CSRF, secrets shown once."""

from __future__ import annotations

import re

import httpx2
import pytest

from tests.support.alerting import agent_offline, create_channel, deliver, only_alert
from tests.support.events import record
from tests.support.hub import ADMIN_PASSWORD, RunningHub
from tests.support.receiver import Receiver
from watchkeep.core.auth.cookies import CSRF_COOKIE
from watchkeep.core.auth.service import AuthService
from watchkeep.core.events import AgentOffline, AgentOnline


async def signed_in(hub: RunningHub, username: str = "admin", role: str = "admin") -> tuple[httpx2.AsyncClient, str]:
    """A client with a session from POST /login, and its CSRF token."""
    password = ADMIN_PASSWORD
    if username != "admin":
        password = f"{username}-password-1"
        await AuthService(hub.hub).create_user(username, password, role)
    client = hub.client()
    response = await client.post("/login", data={"username": username, "password": password, "next": "/"})
    assert response.status_code == 303, response.text
    return client, client.cookies[CSRF_COOKIE]


PAGES = ["/alerts", "/silences", "/maintenance", "/channels", "/channels/new?type=email", "/webhooks"]
ADMIN_PAGES = ["/settings/users", "/settings/keys"]


async def test_every_page_renders_for_an_admin_and_admin_pages_refuse_others(hub: RunningHub) -> None:
    admin, _ = await signed_in(hub)
    for path in PAGES + ADMIN_PAGES:
        response = await admin.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert "<h1>" in response.text
    viewer, _ = await signed_in(hub, "vera", "viewer")
    for path in PAGES:
        assert (await viewer.get(path)).status_code == 200, path
    for path in ADMIN_PAGES:
        assert (await viewer.get(path)).status_code == 403, path
    settings = (await viewer.get("/settings")).text
    assert "/settings/keys" not in settings
    assert "/settings/keys" in (await admin.get("/settings")).text


async def test_a_viewer_cannot_create_a_channel(hub: RunningHub) -> None:
    channel_id = await create_channel(hub, "slack", {"url": "https://hooks.example.com/x"})
    viewer, csrf = await signed_in(hub, "vera", "viewer")
    # The page offers a viewer no button that would only be refused
    shown = (await viewer.get(f"/channels/{channel_id}")).text
    assert "hooks.example.com" in shown
    assert "/test" not in shown and "Add rule" not in shown and "Delete this channel" not in shown
    assert "New channel" not in (await viewer.get("/channels")).text
    form = {"csrf": csrf, "type": "slack", "name": "ops", "config.url": "https://hooks.example.com/x"}
    response = await viewer.post("/channels/new", data=form)
    assert response.status_code == 403
    assert "may not do this" in response.text
    assert [c["id"] for c in (await hub.admin.get("/api/v1/channels")).json()] == [channel_id]


async def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(hub: RunningHub) -> None:
    admin, _ = await signed_in(hub)
    form = {"comment": "deploy", "durationSeconds": "3600"}
    assert (await admin.post("/silences", data=form)).status_code == 403
    assert (await admin.post("/silences", data={**form, "csrf": "not-it"})).status_code == 403
    assert (await hub.admin.get("/api/v1/silence")).json() == []


async def test_a_form_error_names_its_field_and_keeps_what_was_typed(hub: RunningHub) -> None:
    admin, csrf = await signed_in(hub)
    form = {"csrf": csrf, "type": "email", "name": "mail", "config.to": "not an address", "enabled": "on"}
    response = await admin.post("/channels/new", data=form)
    assert response.status_code == 400
    error = re.search(r'id="e-f-config-to" class="field-error">([^<]*)<', response.text)
    assert error is not None and "not an email address" in error.group(1)
    assert 'aria-invalid="true" aria-describedby="e-f-config-to"' in response.text
    assert ">not an address</textarea>" in response.text
    # A silence's matcher, nested in the API's body, is named the same way
    bad = {"csrf": csrf, "comment": "x", "durationSeconds": "3600", "matchers.severity": "loud"}
    response = await admin.post("/silences", data=bad)
    assert response.status_code == 400
    assert 'id="e-f-matchers-severity"' in response.text


async def test_a_silence_is_created_in_the_browsers_time_and_ended(hub: RunningHub) -> None:
    admin, csrf = await signed_in(hub)
    now = hub.hub.clock.now()
    ends = now.replace(microsecond=0).replace(year=now.year + 1)
    form = {
        "csrf": csrf,
        "utcOffset": "120",
        "endsAt": ends.strftime("%Y-%m-%dT%H:%M"),
        "comment": "upgrade",
        "matchers.source": "agent",
        "matchers.labels": "env=prod",
    }
    response = await admin.post("/silences", data=form)
    assert response.status_code == 303, response.text
    [silence] = (await hub.admin.get("/api/v1/silence")).json()
    assert silence["matchers"] == {"source": "agent", "labels": {"env": "prod"}}
    # 12:00 at UTC+2 is 10:00 UTC
    expected = ends.replace(hour=(ends.hour - 2) % 24)
    assert silence["endsAt"][11:16] == expected.strftime("%H:%M")
    assert (await admin.post(f"/silences/{silence['id']}/end", data={"csrf": csrf})).status_code == 303
    assert (await hub.admin.get("/api/v1/silence")).json() == []


async def test_a_channel_shows_its_secret_masked_and_keeps_it_on_save(hub: RunningHub, receiver: Receiver) -> None:
    admin, csrf = await signed_in(hub)
    form = {"csrf": csrf, "type": "ntfy", "name": "phone", "config.url": receiver.url, "config.token": "tk-secret-1"}
    response = await admin.post("/channels/new", data={**form, "enabled": "on"})
    assert response.status_code == 303, response.text
    page = (await admin.get(response.headers["location"])).text
    assert "tk-secret-1" not in page
    assert 'value="********"' in page
    channel_id = response.headers["location"].rsplit("/", 1)[1]
    saved = {**form, "name": "phone 2", "config.token": "********", "enabled": "on"}
    assert (await admin.post(f"/channels/{channel_id}", data=saved)).status_code == 303
    tested = await admin.post(f"/channels/{channel_id}/test", data={"csrf": csrf})
    assert 'id="test-result" class="notice"' in tested.text
    assert "HTTP 200" in tested.text
    assert receiver.requests[-1].headers["authorization"] == "Bearer tk-secret-1"


async def test_an_alert_page_shows_its_timeline_with_the_delivery(hub: RunningHub, receiver: Receiver) -> None:
    admin, csrf = await signed_in(hub)
    channel_id = await create_channel(hub, "webhook", {"url": receiver.url})
    rule = await admin.post(f"/channels/{channel_id}/rules", data={"csrf": csrf, "sendResolved": "on"})
    assert rule.status_code == 303, rule.text
    await agent_offline(hub)
    await deliver(hub)
    alert = await only_alert(hub)
    page = (await admin.get(f"/alerts/{alert['id']}")).text
    for moment in ("Fired", "Notified", "Delivered"):
        assert f"<strong>{moment}</strong>" in page, moment
    log = (await admin.get(f"/channels/{channel_id}?fragment=deliveries")).text
    assert 'data-status="delivered" data-event="alert.fired"' in log
    # Snoozed for an hour from its page; a past time is the API's error, next to `until`
    assert (
        await admin.post(f"/alerts/{alert['id']}/snooze", data={"csrf": csrf, "durationSeconds": "3600"})
    ).status_code == 303
    assert (await hub.admin.get(f"/api/v1/alerts/{alert['id']}")).json()["snoozedUntil"] is not None
    past = await admin.post(f"/alerts/{alert['id']}/snooze", data={"csrf": csrf, "until": "2001-01-01T00:00"})
    assert past.status_code == 400
    assert 'id="e-f-until"' in past.text


@pytest.mark.parametrize("role", ["editor", "viewer"])
async def test_only_an_admin_creates_keys_and_webhooks(hub: RunningHub, role: str) -> None:
    client, csrf = await signed_in(hub, "erin", role)
    assert (await client.post("/settings/keys", data={"csrf": csrf, "name": "x", "scopes": "read"})).status_code == 403
    hook = {"csrf": csrf, "name": "x", "url": "https://example.com/hook"}
    assert (await client.post("/webhooks", data=hook)).status_code == 403


async def test_an_api_key_is_shown_once_and_works(hub: RunningHub) -> None:
    admin, csrf = await signed_in(hub)
    response = await admin.post(
        "/settings/keys", data={"csrf": csrf, "name": "backup script", "scopes": ["read", "write"]}
    )
    assert response.status_code == 201
    key = re.search(r'<code id="new-key">([^<]+)</code>', response.text)
    assert key is not None
    me = await hub.client(key.group(1)).get("/api/v1/me")
    assert me.json()["scopes"] == ["read", "write"]
    assert key.group(1) not in (await admin.get("/settings/keys")).text
    missing = await admin.post("/settings/keys", data={"csrf": csrf, "name": "none"})
    assert missing.status_code == 400
    assert 'id="e-scopes"' in missing.text


async def test_users_are_created_given_a_role_and_the_last_admin_is_kept(hub: RunningHub) -> None:
    admin, csrf = await signed_in(hub)
    short = await admin.post(
        "/settings/users", data={"csrf": csrf, "username": "sam", "password": "short", "role": "editor"}
    )
    assert short.status_code == 400
    assert 'id="e-f-password"' in short.text
    created = await admin.post(
        "/settings/users", data={"csrf": csrf, "username": "sam", "password": "long-enough-1", "role": "editor"}
    )
    assert created.status_code == 303
    users = {u["username"]: u for u in (await hub.admin.get("/api/v1/users")).json()}
    assert users["sam"]["role"] == "editor"
    await admin.post(f"/settings/users/{users['sam']['id']}/role", data={"csrf": csrf, "role": "viewer"})
    assert (await hub.admin.get(f"/api/v1/users/{users['sam']['id']}")).json()["role"] == "viewer"
    kept = await admin.post(f"/settings/users/{users['admin']['id']}/role", data={"csrf": csrf, "role": "viewer"})
    assert kept.status_code == 409
    assert "last admin" in kept.text
    assert (await admin.post(f"/settings/users/{users['sam']['id']}/delete", data={"csrf": csrf})).status_code == 303
    assert "sam" not in {u["username"] for u in (await hub.admin.get("/api/v1/users")).json()}


async def test_the_history_pages_through_resolved_alerts(hub: RunningHub) -> None:
    now = hub.hub.clock.now_ms()
    agents = [(f"agt_{n:02d}", f"web-{n:02d}") for n in range(27)]
    await record(hub, *(AgentOffline(agent_id=a, name=name, last_seen_ms=None, at_ms=now) for a, name in agents))
    await record(hub, *(AgentOnline(agent_id=a, name=name, last_seen_ms=None, at_ms=now) for a, name in agents))
    admin, _ = await signed_in(hub)
    first = (await admin.get("/alerts")).text
    assert first.count('data-status="resolved"') == 25
    older = re.search(r'href="/alerts\?cursor=([^"#]+)#history-title" rel="next"', first)
    assert older is not None
    second = (await admin.get(f"/alerts?cursor={older.group(1)}")).text
    assert second.count('data-status="resolved"') == 2
    assert 'rel="next"' not in second
    shown = set(re.findall(r"web-\d\d", first + second))
    assert shown == {name for _, name in agents}


async def test_a_bad_history_cursor_is_an_error_page_naming_it(hub: RunningHub) -> None:
    admin, _ = await signed_in(hub)
    for bad in ("not-a-cursor", "%%%"):
        response = await admin.get("/alerts", params={"cursor": bad})
        assert response.status_code == 400, bad
    assert "text/html" in response.headers["content-type"]
    assert "cursor" in response.text
