"""Password login, the session cookie, CSRF and login throttling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx2

from tests.support.hub import ADMIN_PASSWORD, RunningHub
from watchkeep.core.clock import FrozenClock

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


async def _login(hub: RunningHub, username: str = "admin", password: str = ADMIN_PASSWORD) -> httpx2.AsyncClient:
    client = hub.client()
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return client


async def test_login_answers_with_the_user_and_sets_a_safe_session_cookie(hub: RunningHub) -> None:
    client = hub.client()
    response = await client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "admin"
    assert body["role"] == "admin"
    assert body["csrfToken"]
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("watchkeep_session="))
    assert "HttpOnly" in session
    assert "SameSite=lax" in session or "SameSite=Lax" in session
    assert "Secure" not in session
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["auth"] == "session"


async def test_the_session_cookie_is_secure_behind_https(start_hub: StartHub) -> None:
    async with start_hub(base_url="https://watch.example.org") as hub:
        response = await hub.client().post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        session = next(c for c in response.headers.get_list("set-cookie") if c.startswith("watchkeep_session="))
        assert "Secure" in session


async def test_a_wrong_password_is_unauthorized(hub: RunningHub) -> None:
    response = await hub.client().post("/api/v1/auth/login", json={"username": "admin", "password": "nope-nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    unknown = await hub.client().post("/api/v1/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert unknown.status_code == 401


async def test_repeated_failed_logins_are_throttled_until_the_window_passes(
    start_hub: StartHub, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock, login_max_failures=3, login_window_seconds=60) as hub:
        client = hub.client()
        for _ in range(3):
            failed = await client.post("/api/v1/auth/login", json={"username": "admin", "password": "wrong-one"})
            assert failed.status_code == 401
        blocked = await client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert blocked.status_code == 429
        assert blocked.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(blocked.headers["retry-after"]) <= 60
        clock.advance(61)
        allowed = await client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert allowed.status_code == 200


async def test_a_cookie_write_without_the_csrf_token_is_refused(hub: RunningHub) -> None:
    client = await _login(hub)
    response = await client.post("/api/v1/keys", json={"name": "ui", "scopes": ["read"]})
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    wrong = await client.post(
        "/api/v1/keys", json={"name": "ui", "scopes": ["read"]}, headers={"X-CSRF-Token": "forged"}
    )
    assert wrong.status_code == 403
    keys = await hub.admin.get("/api/v1/keys")
    assert [k["name"] for k in keys.json()] == ["admin key"]


async def test_a_cookie_write_with_the_csrf_token_succeeds(hub: RunningHub) -> None:
    client = await _login(hub)
    token = client.cookies["watchkeep_csrf"]
    response = await client.post(
        "/api/v1/keys", json={"name": "ui", "scopes": ["read"]}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 201


async def test_an_expired_session_is_unauthorized(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock, session_ttl_seconds=3600) as hub:
        client = await _login(hub)
        assert (await client.get("/api/v1/me")).status_code == 200
        clock.advance(3601)
        response = await client.get("/api/v1/me")
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "Session expired"


async def test_logout_ends_the_session(hub: RunningHub) -> None:
    client = await _login(hub)
    token = client.cookies["watchkeep_csrf"]
    session = client.cookies["watchkeep_session"]
    assert (await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token})).status_code == 204
    replay = hub.client(cookies={"watchkeep_session": session})
    assert (await replay.get("/api/v1/me")).status_code == 401


async def test_a_viewer_session_may_read_but_not_administer(hub: RunningHub) -> None:
    await hub.user_key("bob", "viewer", ["read"])
    client = await _login(hub, "bob", "bob-password-1")
    assert (await client.get("/api/v1/me")).json()["role"] == "viewer"
    response = await client.get("/api/v1/users")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden_role"


async def test_concurrent_wrong_passwords_evaluate_no_more_than_the_failure_limit(start_hub: StartHub) -> None:
    async with start_hub(login_max_failures=5, login_window_seconds=600) as hub:
        client = hub.client()

        async def attempt(n: int) -> int:
            body = {"username": "admin", "password": f"wrong-password-{n}"}
            return (await client.post("/api/v1/auth/login", json=body)).status_code

        statuses = await asyncio.gather(*(attempt(n) for n in range(25)))
        assert statuses.count(401) == 5
        assert statuses.count(429) == 20
        right = await client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert right.status_code == 429
