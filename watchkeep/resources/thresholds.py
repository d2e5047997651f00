"""Alert thresholds of hosts and containers, evaluated on ingest.

A rule (one metric of one host or container) fires once `breachSamples` consecutive samples
are above its threshold and recovers once `recoverSamples` consecutive samples are not. A
sample without the metric (a container without a memory limit) counts neither way. Where an
evaluation stands is stored with the rule and changed in the payload's own write unit, so a
restarted hub or another replica goes on counting; `resource.alert` and `resource.recovery`
are appended in that unit too, and alerts/sources.py turns them into alerts.

The ingest path reads an agent's rules once and then keeps them in the agent's ingest memory
(agents/ingest/memory.py), a hint checked against the stamp on the agent's row: setting
thresholds clears that stamp, so every hub reads them again. An agent without thresholds
costs nothing per payload, and a steady one writes nothing either: only a change of a
counter or of the firing state is written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.agents.ingest.memory import invalidate
from watchkeep.core.clock import rfc3339
from watchkeep.core.errors import not_found
from watchkeep.core.events import Event, ResourceAlert, ResourceRecovery
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.resources import repository as repo
from watchkeep.resources.model import ThresholdRule
from watchkeep.resources.schemas import Thresholds

HOST = "host"
CONTAINER = "container"
METRICS = {HOST: ("cpu_percent", "memory_percent", "disk_percent"), CONTAINER: ("cpu_percent", "memory_percent")}
CAMEL = {"cpu_percent": "cpuPercent", "memory_percent": "memoryPercent", "disk_percent": "diskPercent"}


def rule_of(row: dict[str, Any]) -> ThresholdRule:
    return ThresholdRule(
        kind=row["kind"],
        subject_id=row["subject_id"],
        metric=row["metric"],
        agent_id=row["agent_id"],
        name=row["name"],
        threshold=float(row["threshold"]),
        breach_samples=int(row["breach_samples"]),
        recover_samples=int(row["recover_samples"]),
        # no state row yet (outer join): clear, counting from nothing
        firing=bool(row["firing"]),
        streak=int(row["streak"] or 0),
        changed_at=None if row["changed_at"] is None else int(row["changed_at"]),
        value=row["value"],
    )


def _state_row(rule: ThresholdRule) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "subject_id": rule.subject_id,
        "metric": rule.metric,
        "firing": rule.firing,
        "streak": rule.streak,
        "changed_at": rule.changed_at,
        "value": rule.value,
    }


def _common(rule: ThresholdRule, name: str, value: float | None) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "subject": rule.subject_id,
        "agent_id": rule.agent_id,
        "container_id": rule.subject_id if rule.kind == CONTAINER else None,
        "name": name,
        "metric": CAMEL[rule.metric],
        "value": value,
        "threshold": rule.threshold,
    }


def step(rule: ThresholdRule, value: float) -> bool:
    """Count one sample; True when the rule's firing state or counter changed."""
    breaching = value > rule.threshold
    if breaching == rule.firing:
        if rule.streak == 0:
            return False
        rule.streak = 0
        return True
    rule.streak += 1
    if rule.streak >= (rule.recover_samples if rule.firing else rule.breach_samples):
        rule.firing = breaching
        rule.streak = 0
        rule.value = value
    return True


def _recovery(rule: ThresholdRule, at_ms: int, name: str, value: float | None, reason: str) -> ResourceRecovery:
    return ResourceRecovery(
        **_common(rule, name, value), recover_samples=rule.recover_samples, reason=reason, at_ms=at_ms
    )


async def evaluate(
    conn: AsyncConnection,
    agent_id: str,
    host_name: str,
    at_ms: int,
    host: dict[str, Any] | None,
    latest: dict[str, Any] | None,
    rules: list[ThresholdRule] | None,
) -> tuple[list[ThresholdRule], list[Event]]:
    """Count a payload's samples (`host`: its host values by column; `latest`: the latest
    values document, whose containers sampled at `at_ms` are this payload's) against the
    agent's rules (None: read them). Writes the states that changed; returns the rules and
    the events to append."""
    if rules is None:
        rules = [rule_of(row) for row in await repo.rules_of_agent(conn, agent_id)]
    if not rules:
        return rules, []
    containers: dict[str, Any] = latest["containers"] if latest is not None else {}
    changed: list[ThresholdRule] = []
    events: list[Event] = []
    for rule in rules:
        if rule.kind == HOST:
            value = host.get(rule.metric) if host is not None else None
            name = host_name
        else:
            entry = containers.get(rule.name)
            value = entry["v"].get(CAMEL[rule.metric]) if entry is not None and entry["at"] == at_ms else None
            name = rule.name
        if value is None:
            continue
        was_firing = rule.firing
        if not step(rule, float(value)):
            continue
        changed.append(rule)
        if rule.firing != was_firing:
            rule.changed_at = at_ms
            if rule.firing:
                events.append(
                    ResourceAlert(**_common(rule, name, value), breach_samples=rule.breach_samples, at_ms=at_ms)
                )
            else:
                events.append(_recovery(rule, at_ms, name, value, "recovered"))
    if changed:
        await repo.put_states(conn, [_state_row(rule) for rule in changed])
    return rules, events


async def delete_for_container(conn: AsyncConnection, public_id: str, at_ms: int) -> list[Event]:
    """Remove a container's thresholds (it is being deleted); the recoveries of firing ones."""
    rules = [rule_of(row) for row in await repo.rules_of_subject(conn, CONTAINER, public_id)]
    if rules:
        await invalidate(conn, rules[0].agent_id)
        await repo.delete_thresholds(conn, CONTAINER, public_id, [rule.metric for rule in rules])
    return [_recovery(rule, at_ms, rule.name, None, "deleted") for rule in rules if rule.firing]


async def delete_for_agent(conn: AsyncConnection, agent_id: str, at_ms: int) -> list[Event]:
    """Remove the thresholds of an agent's host and containers; the recoveries of firing ones."""
    rules = [rule_of(row) for row in await repo.delete_thresholds_of_agent(conn, agent_id)]
    return [_recovery(rule, at_ms, rule.name, None, "deleted") for rule in rules if rule.firing]


def thresholds_out(kind: str, rules: Sequence[ThresholdRule]) -> dict[str, Any]:
    """The API's body: each metric's rule or null, and under `status` where each stands."""
    by_metric = {rule.metric: rule for rule in rules}
    out: dict[str, Any] = {}
    status: dict[str, Any] = {}
    for metric in METRICS[kind]:
        rule = by_metric.get(metric)
        if rule is None:
            out[CAMEL[metric]] = None
            continue
        out[CAMEL[metric]] = {
            "threshold": rule.threshold,
            "breachSamples": rule.breach_samples,
            "recoverSamples": rule.recover_samples,
        }
        status[CAMEL[metric]] = {
            "firing": rule.firing,
            "streak": rule.streak,
            "changedAt": rfc3339(rule.changed_at),
            "value": rule.value,
        }
    out["status"] = status
    return out


class ThresholdService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def get(self, kind: str, subject_id: str) -> dict[str, Any]:
        async with self.hub.store.read() as conn:
            rows = await repo.rules_of_subject(conn, kind, subject_id)
        return thresholds_out(kind, [rule_of(row) for row in rows])

    async def put(
        self,
        kind: str,
        subject_id: str,
        agent_id: str,
        name: str,
        body: Thresholds,
    ) -> dict[str, Any]:
        """Replace the subject's thresholds (a metric left out or null has none). A rule
        changed keeps firing or not, and counts again from nothing; one removed while
        firing recovers (`threshold_removed`)."""
        now = self.hub.clock.now_ms()
        wanted = body.rules()

        async def unit(conn: AsyncConnection) -> tuple[list[ThresholdRule], list[Event]]:
            if not await invalidate(conn, agent_id):
                raise not_found("agent", agent_id)
            stored = {rule.metric: rule for rule in map(rule_of, await repo.rules_of_subject(conn, kind, subject_id))}
            removed = [metric for metric, rule in wanted.items() if rule is None and metric in stored]
            events: list[Event] = [
                _recovery(stored[metric], now, name, None, "threshold_removed")
                for metric in removed
                if stored[metric].firing
            ]
            if removed:
                await repo.delete_thresholds(conn, kind, subject_id, removed)
            rows, states = [], []
            for metric, given in wanted.items():
                if given is None:
                    continue
                threshold = float(given.threshold)  # type: ignore[attr-defined]
                rows.append(
                    {
                        "kind": kind,
                        "subject_id": subject_id,
                        "metric": metric,
                        "agent_id": agent_id,
                        "name": name,
                        "threshold": threshold,
                        "breach_samples": given.breach_samples,
                        "recover_samples": given.recover_samples,
                        "updated_at": now,
                    }
                )
                before = stored.get(metric)
                states.append(
                    ThresholdRule(
                        kind,
                        subject_id,
                        metric,
                        agent_id,
                        name,
                        threshold,
                        given.breach_samples,
                        given.recover_samples,
                        firing=before is not None and before.firing,
                        changed_at=None if before is None else before.changed_at,
                        value=None if before is None else before.value,
                    )
                )
            await repo.put_thresholds(conn, rows)
            await repo.put_states(conn, [_state_row(rule) for rule in states])
            return states, await append(conn, events)

        rules, events = await self.hub.store.write(unit)
        if events:
            await self.hub.bus.publish(*events)
        return thresholds_out(kind, rules)
