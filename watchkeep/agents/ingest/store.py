"""Storing a `SampleBatch`: the agent's facts, its containers, samples, checks and top
processes, all in one write unit (all of it or nothing), then the events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.agents import repository as repo
from watchkeep.agents.batch import SampleBatch
from watchkeep.agents.ingest.memory import AgentMemory, ingest_memory, new_stamp
from watchkeep.agents.tokens import AgentCredential
from watchkeep.certificates import service as certificates
from watchkeep.containers import logstore
from watchkeep.containers import service as containers
from watchkeep.core.errors import unauthorized
from watchkeep.core.events import AgentOnline, Event, ResourceSnapshot
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.endpoints import agentchecks as agent_endpoints
from watchkeep.resources import service as resources
from watchkeep.resources import thresholds


class IngestAnswer(msgspec.Struct, rename="camel", omit_defaults=True):
    """What the ingest routes answer: what was stored."""

    status: str
    agent_id: str
    stored: int
    timestamp: int
    clamped: bool = False
    replay: bool = False


@dataclass(frozen=True)
class Stored:
    agent_id: str
    at_ms: int
    clamped: bool
    rows: int
    replay: bool

    def body(self) -> IngestAnswer:
        return IngestAnswer("ok", self.agent_id, self.rows, self.at_ms, self.clamped, self.replay)


def place_in_time(hub: Hub, given_ms: int | None) -> tuple[int, bool]:
    """The time a payload is stored at: its own, unless that lies too far in the future."""
    now = hub.clock.now_ms()
    if given_ms is None:
        return now, False
    if given_ms > now + hub.settings.agent_max_clock_skew_seconds * 1000:
        return now, True
    return given_ms, False


def _check_rows(agent_id: str, batch: SampleBatch) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for check in batch.checks:
        rows[(check.kind, check.container_name, check.target)] = {
            "agent_id": agent_id,
            "kind": check.kind,
            "container_name": check.container_name,
            "target": check.target,
            "name": check.name,
            "success": check.success,
            "status_code": check.status_code,
            "duration_ms": check.duration_ms,
            "checked_at": check.checked_at_ms,
            "error": check.error,
            "expires_at": check.expires_at,
            "days_until_expiry": check.days_until_expiry,
            "issuer": check.issuer,
            "subject": check.subject,
        }
    return list(rows.values())


def _cert_results(batch: SampleBatch) -> list[certificates.AgentCertResult]:
    return [
        certificates.AgentCertResult(
            container_name=check.container_name,
            target=check.target,
            success=check.success,
            checked_at_ms=check.checked_at_ms,
            duration_ms=check.duration_ms,
            error=check.error,
            expires_at=check.expires_at,
            days_until_expiry=check.days_until_expiry,
            issuer=check.issuer,
            subject=check.subject,
        )
        for check in batch.checks
        if check.kind == "cert"
    ]


class IngestService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def store(self, credential: AgentCredential, batch: SampleBatch) -> Stored:
        agent_id = credential.agent_id
        now = self.hub.clock.now_ms()
        checks = batch.checks or None
        remembered = ingest_memory(self.hub)

        async def unit(conn: AsyncConnection) -> tuple[Stored, list[Event]]:
            row = await repo.get_locked(conn, agent_id)
            if row is None or int(row["token_generation"]) != credential.generation:
                raise unauthorized("Invalid agent credential", hint="The agent was deleted or its token rotated.")
            memory = remembered.take(agent_id, row["ingest_stamp"])
            newest = row["last_payload_at"]
            replay = newest is not None and batch.at_ms < newest
            if replay:
                # A payload stored in its place in time merges into what is stored: write it all.
                memory = AgentMemory()
            memory.stamp = new_stamp()
            values: dict[str, Any] = {"ingest_stamp": memory.stamp}
            if batch.heartbeat:
                values["last_heartbeat_at"] = now
            if not replay:
                facts = batch.facts
                values.update(
                    last_payload_at=batch.at_ms,
                    version=facts.version,
                    hostname=facts.hostname,
                    os=facts.os,
                    kernel=facts.kernel,
                    uptime_seconds=facts.uptime_seconds,
                    server_healthy=facts.server_healthy,
                    dropped_payloads=facts.dropped_payloads,
                    collector_errors=None if facts.collector_errors is None else json.dumps(facts.collector_errors),
                    endpoint=facts.endpoint,
                    platform_id=facts.platform_id,
                )
            await repo.touch(conn, agent_id, now, values)
            events: list[Event] = []
            if row["status"] != "online" and await repo.mark_online(conn, agent_id, now):
                events.append(AgentOnline(agent_id=agent_id, name=row["name"], last_seen_ms=now, at_ms=now))
            if batch.containers or batch.full_inventory:
                memory.containers = await containers.apply(
                    conn,
                    agent_id,
                    batch.containers,
                    full=batch.full_inventory and not replay,
                    at_ms=batch.at_ms,
                    written=memory.containers,
                    events=None if replay else events,
                    rule=containers.restart_rule(self.hub.settings),
                )
            recorded = await resources.record(
                conn,
                agent_id,
                batch.at_ms,
                batch.host,
                batch.container_samples,
                batch.processes,
                nodes=batch.nodes,
                series=memory.series,
                latest=memory.latest,
            )
            memory.latest = recorded.latest
            if not replay:
                memory.thresholds, crossed = await thresholds.evaluate(
                    conn, agent_id, row["name"], batch.at_ms, recorded.host, recorded.latest, memory.thresholds
                )
                events.extend(crossed)
            if checks is not None and checks != memory.checks:
                # The same results written again would change nothing: skip them.
                await repo.put_checks(conn, _check_rows(agent_id, batch))
                memory.checks = checks
                if not replay:
                    events.extend(await certificates.record_agent_results(conn, agent_id, _cert_results(batch), now))
            if batch.endpoint_results and not replay:
                events.extend(await agent_endpoints.record(conn, agent_id, batch.endpoint_results))
            host = recorded.host
            if host is not None and not replay:
                events.append(
                    ResourceSnapshot(
                        agent_id=agent_id,
                        cpu_percent=host.get("cpu_percent"),
                        memory_used_mb=host.get("memory_used_mb"),
                        memory_total_mb=host.get("memory_total_mb"),
                        disk_used_gb=host.get("disk_used_gb"),
                        disk_total_gb=host.get("disk_total_gb"),
                        at_ms=batch.at_ms,
                    )
                )
            if batch.container_logs:
                events.extend(await logstore.store(conn, agent_id, batch.container_logs, now))
            remembered.keep(agent_id, memory)
            return Stored(agent_id, batch.at_ms, batch.clamped, batch.row_count, replay), await append(conn, events)

        stored, events = await self.hub.store.write(unit)
        if events:
            await self.hub.bus.publish(*events)
        return stored
