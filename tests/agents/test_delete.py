"""Deleting an agent removes everything stored for it, on both databases (the event log keeps
what happened to it, as history, until its retention)."""

from __future__ import annotations

from sqlalchemy import select

from tests.agents.support import NATIVE_EXAMPLE, PUSH_EXAMPLE, REPORT_EXAMPLE, bearer, create_agent, rows_mentioning
from tests.support.hub import RunningHub
from watchkeep.resources.tables import container_sample_sets, host_samples, metric_series


async def _series_of(hub: RunningHub, agent_id: str) -> list[int]:
    async with hub.hub.store.read() as conn:
        query = select(metric_series.c.id).where(metric_series.c.agent_id == agent_id)
        return [row[0] for row in await conn.execute(query)]


async def test_deleting_an_agent_leaves_no_row_of_it_in_any_table(hub: RunningHub) -> None:
    doomed, kept = await create_agent(hub, "doomed"), await create_agent(hub, "kept")
    client = hub.client()
    for agent in (doomed, kept):
        token = bearer(agent["token"])
        assert (await client.post("/api/metrics/ingest", json=NATIVE_EXAMPLE, headers=token)).status_code == 200
        assert (await client.post(f"/api/v1/agents/{agent['id']}/push", json=PUSH_EXAMPLE, headers=token)).is_success
        report = {**REPORT_EXAMPLE, "agent_key": agent["agentKey"]}
        assert (await client.post("/agent/report", json=report)).status_code == 200
        assert (await hub.admin.put(f"/api/v1/agents/{agent['id']}/config", json={"services": []})).is_success
    series = await _series_of(hub, doomed["id"])
    assert len(series) == 3  # the host, "example" and "nginx-prod"
    mentioned = {"agents", "agent_containers", "agent_checks", "metric_series", "process_snapshots"}
    assert mentioned | {"container_sample_sets"} <= set(await rows_mentioning(hub, doomed["id"]))

    assert (await hub.admin.delete(f"/api/v1/agents/{doomed['id']}")).status_code == 204

    # The event log is history: what happened to the agent stays until retention removes it.
    assert set(await rows_mentioning(hub, doomed["id"])) <= {"event_log"}
    async with hub.hub.store.read() as conn:
        assert (await conn.execute(select(host_samples).where(host_samples.c.series_id.in_(series)))).all() == []
        sets = select(container_sample_sets).where(container_sample_sets.c.agent_id == doomed["id"])
        assert (await conn.execute(sets)).all() == []
    assert {"agents", "agent_containers", "agent_checks", "metric_series", "process_snapshots"} <= set(
        await rows_mentioning(hub, kept["id"])
    )
    assert len(await _series_of(hub, kept["id"])) == 3
