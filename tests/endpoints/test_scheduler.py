"""The scheduler claims due endpoints in the database: two hubs on one PostgreSQL database
split the work and never check one endpoint twice at once; a check in flight holds a lease."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import func, select

from tests.endpoints.conftest import QUIET, Endpoints
from tests.endpoints.servers import MOST_AT_ONCE, http_server
from tests.support.hub import running_hub
from watchkeep.core.clock import FrozenClock
from watchkeep.core.config import Settings
from watchkeep.endpoints.tables import endpoint_results
from watchkeep.endpoints.worker import EndpointScheduler


async def test_two_hubs_on_one_database_split_the_due_checks_and_check_each_endpoint_once(
    postgres_url: str, settings_for: Callable[..., Settings], clock: FrozenClock
) -> None:
    # Both hubs use the data dir's key file: what one seals, the other opens.
    settings = settings_for(postgres_url, endpoint_max_concurrency=25, **QUIET)
    async with (
        http_server() as server,
        running_hub(settings, clock=clock) as first,
        running_hub(settings, clock=clock) as second,
    ):
        ids = []
        for n in range(40):
            body = {"name": f"ep{n}", "type": "http", "target": f"{server}/slow?seconds=0.3&id=pair{n}"}
            response = await first.admin.post("/api/v1/endpoints", json=body)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        clock.advance(31)
        schedulers: list[EndpointScheduler] = [h.app.state.endpoint_scheduler for h in (first, second)]
        await asyncio.gather(*(s.step() for s in schedulers))
        # While those checks run, both look again: nothing is due or free to claim.
        await asyncio.gather(*(s.step() for s in schedulers))
        assert sum(s.running for s in schedulers) == 40
        await asyncio.gather(*(s.drain() for s in schedulers))
        async with first.hub.store.read() as conn:
            query = select(endpoint_results.c.endpoint_id, func.count()).group_by(endpoint_results.c.endpoint_id)
            counts = dict((await conn.execute(query)).all())
    assert counts == dict.fromkeys(ids, 1)
    assert all(schedulers[i].checks_done > 0 for i in (0, 1)), [s.checks_done for s in schedulers]
    assert max(MOST_AT_ONCE[f"pair{n}"] for n in range(40)) == 1


async def test_an_endpoint_whose_check_is_still_running_is_not_claimed_again(endpoints: Endpoints) -> None:
    async with http_server() as server:
        endpoint = await endpoints.create(
            type="http", target=f"{server}/slow?seconds=0.5&id=lease", intervalSeconds=5, timeoutSeconds=4
        )
        endpoints.clock.advance(31)
        await endpoints.scheduler.step()
        assert endpoints.scheduler.running == 1
        # A whole interval later the endpoint is due again, but its lease still holds.
        endpoints.clock.advance(5)
        await endpoints.scheduler.step()
        assert endpoints.scheduler.running == 1
        await endpoints.scheduler.drain()
        assert len(await endpoints.results(endpoint["id"])) == 1
        await endpoints.check(endpoint["id"])
    assert len(await endpoints.results(endpoint["id"])) == 2
    assert MOST_AT_ONCE["lease"] == 1


async def test_a_scheduler_that_fell_behind_checks_once_and_schedules_from_now(endpoints: Endpoints) -> None:
    async with http_server() as server:
        endpoint = await endpoints.create(type="http", target=f"{server}/ok", intervalSeconds=30)
        endpoints.clock.advance(3600)
        await endpoints.scheduler.step()
        await endpoints.scheduler.drain()
        await endpoints.scheduler.step()
        await endpoints.scheduler.drain()
    assert len(await endpoints.results(endpoint["id"])) == 1
    after = await endpoints.get(endpoint["id"])
    assert after["nextCheckAt"] == "2026-11-10T11:00:30.000Z"
