"""An agent's native payload carries its images' RepoDigests, labels and platform, and a scan
uses them; the schedule queues one scan per cron turn, across replicas once."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.agents.support import bearer, create_agent
from tests.support.hub import RunningHub
from tests.support.registry import CountingProxy, Registry
from tests.updates.test_scans import by_name, scan
from watchkeep.core.clock import FrozenClock
from watchkeep.protocol.docker import ImageFacts
from watchkeep.updates.service import UpdateService
from watchkeep.updates.tables import update_scans
from watchkeep.updates.worker import next_scan_ms, schedule_step


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_an_agents_reported_image_digests_are_compared(
    hub: RunningHub, registry: Registry, proxy: CountingProxy
) -> None:
    host = proxy.host
    old = registry.push_image("agentimg/app", ["latest"], content="old")
    new = registry.push_image("agentimg/app", ["latest"], content="new")
    agent = await create_agent(hub)
    payload = {
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "containers": [
            {
                "id": "c1",
                "name": "app",
                "image": f"{host}/agentimg/app:latest",
                "imageId": "sha256:" + "a" * 64,
                "state": "running",
                "status": "Up 1 hour",
                "created": 1_700_000_000,
                "repoDigests": [f"{host}/agentimg/app@{old.digest}"],
                "imageLabels": {"org.opencontainers.image.source": "https://git.example/app"},
                "imagePlatform": "linux/amd64",
            },
            # an older agent: no image facts
            {
                "id": "c2",
                "name": "legacy",
                "image": f"{host}/agentimg/app:latest",
                "imageId": "x",
                "state": "running",
                "status": "Up",
                "created": 1_700_000_000,
            },
        ],
    }
    response = await hub.client().post("/api/metrics/ingest", json=payload, headers=bearer(agent["token"]))
    assert response.status_code == 200, response.text
    await scan(hub.admin)
    items = by_name((await hub.admin.get("/api/v1/updates")).json())
    app = items["app"]
    assert (app["status"], app["updateType"], app["latestDigest"]) == ("available", "digest", new.digest)
    assert app["sourceUrl"] == "https://git.example/app" and app["agentId"] == agent["id"]
    assert items["legacy"]["status"] == "unsupported"
    assert "not reported" in items["legacy"]["error"]


def test_image_facts_are_read_from_the_engines_image_inspect() -> None:
    facts = ImageFacts.of(
        {
            "RepoDigests": ["nginx@sha256:" + "1" * 64],
            "Os": "linux",
            "Architecture": "arm64",
            "Variant": "v8",
            "Config": {"Labels": {"org.opencontainers.image.source": "https://github.com/nginx/nginx"}},
        }
    )
    assert facts.platform == "linux/arm64/v8"
    assert facts.repo_digests == ["nginx@sha256:" + "1" * 64]
    assert facts.labels["org.opencontainers.image.source"] == "https://github.com/nginx/nginx"


def test_the_next_turn_of_the_default_schedule_is_four_in_the_morning_utc() -> None:
    after = int(datetime(2026, 5, 1, 12, 0, tzinfo=UTC).timestamp() * 1000)
    assert next_scan_ms("0 4 * * *", after) == int(datetime(2026, 5, 2, 4, 0, tzinfo=UTC).timestamp() * 1000)


async def test_the_schedule_queues_one_scan_per_turn(
    start_hub: Callable[..., AbstractAsyncContextManager[RunningHub]], clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    async with start_hub(clock=clock, updates_scan_cron="0 4 * * *", updates_poll_seconds=600) as running:
        step = schedule_step(running.hub)
        assert step is not None
        service = UpdateService(running.hub)
        await step()  # met the first time: scheduled for 04:00 tomorrow, not run
        assert (await service.summary())["last_scan"] is None
        clock.set(datetime(2026, 5, 2, 3, 59, tzinfo=UTC))
        await step()
        assert (await service.summary())["last_scan"] is None
        clock.set(datetime(2026, 5, 2, 4, 0, 30, tzinfo=UTC))
        other_replica = schedule_step(running.hub)
        assert other_replica is not None
        await step()
        await other_replica()
        last = (await service.summary())["last_scan"]
        assert last is not None and last.trigger == "schedule"
        async with running.hub.store.read() as conn:
            assert (await conn.execute(select(func.count()).select_from(update_scans))).scalar_one() == 1
