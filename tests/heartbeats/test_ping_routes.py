"""The public ping routes: what Healthchecks clients send, and what they get back."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator, Callable

import pytest

from tests.heartbeats.conftest import BOTH_STORES, QUIET, Heartbeats, serve_recording
from watchkeep.core.clock import FrozenClock
from watchkeep.core.config import Settings


@BOTH_STORES
async def test_a_ping_answers_ok_with_the_healthchecks_headers(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    response = await heartbeats.ping(monitor["uuid"])
    assert response.status_code == 200
    assert response.text == "OK"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["ping-body-limit"] == "10000"


@BOTH_STORES
async def test_get_post_and_head_are_all_pings(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    for method in ("GET", "POST", "HEAD"):
        response = await heartbeats.ping(monitor["uuid"], method=method)
        assert response.status_code == 200, method
    head = await heartbeats.ping(monitor["uuid"], method="HEAD")
    assert head.content == b""
    pings = await heartbeats.list_of(monitor["id"], "pings")
    assert [p["method"] for p in pings] == ["HEAD", "HEAD", "POST", "GET"]
    assert [p["n"] for p in pings] == [4, 3, 2, 1]


@BOTH_STORES
async def test_an_unknown_uuid_is_not_found_and_writes_nothing(heartbeats: Heartbeats) -> None:
    response = await heartbeats.ping("3f1d2c4b-0000-4000-8000-000000000000")
    assert (response.status_code, response.text) == (404, "not found")
    assert heartbeats.events == []


async def test_the_upper_case_uuid_matches(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    assert (await heartbeats.ping(monitor["uuid"].upper())).status_code == 200
    assert await heartbeats.status(monitor["id"]) == "up"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda u: u.replace("-", ""),
        lambda u: "{" + u + "}",
        lambda u: re.sub("[a-f]", lambda m: m.group().upper(), u, count=1),
        lambda u: "urn:uuid:" + u,
    ],
    ids=["no-hyphens", "braces", "mixed-case", "urn"],
)
async def test_only_the_canonical_uuid_matches(heartbeats: Heartbeats, mangle: Callable[[str], str]) -> None:
    monitor = await heartbeats.create()
    response = await heartbeats.ping(mangle(monitor["uuid"]))
    assert response.status_code == 404
    assert await heartbeats.status(monitor["id"]) == "new"


@BOTH_STORES
@pytest.mark.parametrize(
    ("code", "status", "state"), [(0, 200, "up"), (1, 200, "down"), (255, 200, "down"), (256, 400, "new")]
)
async def test_exit_codes(heartbeats: Heartbeats, code: int, status: int, state: str) -> None:
    monitor = await heartbeats.create()
    response = await heartbeats.ping(monitor["uuid"], f"/{code}")
    assert response.status_code == status
    got = await heartbeats.get(monitor["id"])
    assert got["status"] == state
    if status == 200:
        assert got["lastExitCode"] == code
        [ping] = await heartbeats.list_of(monitor["id"], "pings")
        assert (ping["kind"], ping["exitCode"]) == ("success" if code == 0 else "fail", code)
    else:
        assert response.text == "invalid url format"
        assert await heartbeats.list_of(monitor["id"], "pings") == []


@BOTH_STORES
async def test_the_body_is_kept_up_to_the_limit_as_raw_bytes(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    body = bytes(range(256)) * 50  # 12,800 bytes, not UTF-8
    await heartbeats.ping(monitor["uuid"], "/fail", "POST", content=body)
    [ping] = await heartbeats.list_of(monitor["id"], "pings")
    assert base64.b64decode(ping["bodyBase64"]) == body[:10_000]
    assert (ping["bodySize"], ping["bodyTruncated"]) == (12_800, True)


async def test_the_ping_records_user_agent_truncated_source_ip_and_method(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    await heartbeats.ping(monitor["uuid"], headers={"User-Agent": "x" * 500, "X-Forwarded-For": "203.0.113.9"})
    [ping] = await heartbeats.list_of(monitor["id"], "pings")
    assert ping["userAgent"] == "x" * 200
    # Loopback is not a trusted proxy here, so its X-Forwarded-For is not believed.
    assert ping["sourceIp"] == "127.0.0.1"
    assert ping["method"] == "GET"


async def test_x_forwarded_for_is_believed_from_a_trusted_proxy(
    sqlite_url: str, settings_for: Callable[..., Settings], clock: FrozenClock
) -> None:
    settings = settings_for(sqlite_url, trusted_proxies="127.0.0.0/8", **QUIET)
    async with serve_recording(settings, clock, []) as running:
        heartbeats = Heartbeats(running, clock)
        monitor = await heartbeats.create()
        await heartbeats.ping(monitor["uuid"], headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"})
        [ping] = await heartbeats.list_of(monitor["id"], "pings")
        assert ping["sourceIp"] == "203.0.113.9"


async def test_a_malformed_rid_is_refused(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create()
    response = await heartbeats.ping(monitor["uuid"], "/start", params={"rid": "not-a-uuid"})
    assert (response.status_code, response.text) == (400, "invalid rid")
    assert await heartbeats.list_of(monitor["id"], "pings") == []


@BOTH_STORES
async def test_methods_post_records_other_methods_as_ignored(heartbeats: Heartbeats) -> None:
    monitor = await heartbeats.create(methods="POST")
    assert (await heartbeats.ping(monitor["uuid"])).status_code == 200
    assert await heartbeats.status(monitor["id"]) == "new"
    await heartbeats.ping(monitor["uuid"], method="HEAD")
    await heartbeats.ping(monitor["uuid"], method="POST")
    assert await heartbeats.status(monitor["id"]) == "up"
    pings = await heartbeats.list_of(monitor["id"], "pings")
    assert [(p["method"], p["ignored"]) for p in pings] == [("POST", False), ("HEAD", True), ("GET", True)]
    assert len(heartbeats.of_type("heartbeat.pinged")) == 1


@pytest.fixture
async def limited(
    sqlite_url: str, settings_for: Callable[..., Settings], clock: FrozenClock
) -> AsyncIterator[Heartbeats]:
    settings = settings_for(sqlite_url, heartbeat_ping_rate_limit_per_minute=3, **QUIET)
    async with serve_recording(settings, clock, []) as running:
        yield Heartbeats(running, clock)


async def test_pings_are_rate_limited_per_client_address(limited: Heartbeats) -> None:
    monitor = await limited.create()
    statuses = [(await limited.ping(monitor["uuid"])).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = await limited.ping(monitor["uuid"])
    assert refused.text == "rate limited"
    assert int(refused.headers["retry-after"]) >= 1
    assert len(await limited.list_of(monitor["id"], "pings")) == 3
    limited.clock.advance(60)
    assert (await limited.ping(monitor["uuid"])).status_code == 200


@BOTH_STORES
async def test_concurrent_pings_are_each_recorded_once_in_order_per_monitor(heartbeats: Heartbeats) -> None:
    monitors = [await heartbeats.create(name=f"job-{i}") for i in range(4)]
    client = heartbeats.running.client()
    responses = await asyncio.gather(
        *(client.get(f"/ping/{monitors[i % 4]['uuid']}/{i % 2}") for i in range(40)),
        client.get("/ping/3f1d2c4b-0000-4000-8000-000000000000"),
    )
    assert [r.status_code for r in responses] == [200] * 40 + [404]
    for monitor in monitors:
        pings = await heartbeats.list_of(monitor["id"], "pings")
        assert [p["n"] for p in pings] == list(range(10, 0, -1))
        assert len(await heartbeats.list_of(monitor["id"], "executions")) == 10
    assert len(heartbeats.of_type("heartbeat.pinged")) == 40
