"""The per-caller API rate limit."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from tests.support.hub import RunningHub
from watchkeep.core.clock import FrozenClock
from watchkeep.core.ratelimit import RateLimiter

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


async def test_a_caller_over_the_limit_gets_rate_limited_with_retry_after(
    start_hub: StartHub, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock, api_rate_limit_per_minute=3) as hub:
        # Creating the fixture's own key used none of the budget: it went through the service.
        for _ in range(3):
            assert (await hub.admin.get("/api/v1/me")).status_code == 200
        limited = await hub.admin.get("/api/v1/me")
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        other = await hub.user_key("frank", "viewer", ["read"])
        assert (await hub.client(other).get("/api/v1/me")).status_code == 200
        clock.advance(60)
        assert (await hub.admin.get("/api/v1/me")).status_code == 200


def test_the_bucket_refills_at_its_rate() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(clock)
    assert [limiter.hit("x", "k", per_minute=60, burst=2) for _ in range(3)] == [0, 0, 1]
    clock.advance(1)
    assert limiter.hit("x", "k", per_minute=60, burst=2) == 0


def test_a_zero_limit_is_off() -> None:
    limiter = RateLimiter(FrozenClock())
    assert all(limiter.hit("x", "k", per_minute=0) == 0 for _ in range(1000))


async def test_logins_from_one_client_are_rate_limited(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock, login_rate_limit_per_minute=2) as hub:
        body = {"username": "admin", "password": "admin-password-1"}
        assert (await hub.client().post("/api/v1/auth/login", json=body)).status_code == 200
        assert (await hub.client().post("/api/v1/auth/login", json=body)).status_code == 200
        limited = await hub.client().post("/api/v1/auth/login", json=body)
        assert limited.status_code == 429
        assert "retry-after" in limited.headers


def test_a_clock_stepping_backwards_neither_drains_nor_refills_a_bucket() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(clock)
    assert limiter.hit("x", "k", per_minute=60, burst=2) == 0
    clock.advance(-30)
    # Half a minute backwards must not push the bucket below its one remaining token.
    assert limiter.hit("x", "k", per_minute=60, burst=2) == 0
    assert limiter.hit("x", "k", per_minute=60, burst=2) == 1
    clock.advance(31)
    assert limiter.hit("x", "k", per_minute=60, burst=2) == 0
