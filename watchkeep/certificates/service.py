"""Certificate monitors: standalone ones made through the API, automatic ones following an
https endpoint (`track_endpoint`) or an agent's reported certificate checks
(`record_agent_results`). A check's result, its history row and the events of the alert
conditions it raised or cleared are one write unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.certificates import repository as repo
from watchkeep.certificates.checker import Observation, reason_of_message
from watchkeep.certificates.repository import Check, Monitor
from watchkeep.certificates.status import DAY_MS, Facts, conditions, days_left, status
from watchkeep.core.clock import SystemClock, rfc3339
from watchkeep.core.errors import conflict, not_found
from watchkeep.core.events import CertificateAlert, CertificateRecovery, Event
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id

DEFAULT_PORT = 443
DEFAULT_INTERVAL_SECONDS = 43_200
DEFAULT_THRESHOLDS = [30, 14, 7, 3, 1]
CHECKS_KEPT = 500


def _day(ms: int | None) -> str:
    return "?" if ms is None else (rfc3339(ms) or "?")[:10]


def _alert_message(monitor: Monitor, condition: str, value: Any, facts: Facts, now: int) -> str:
    name = monitor.name
    if condition == "expiring":
        return f"certificate of {name} expires in {days_left(facts.not_after, now)} days ({_day(facts.not_after)})"
    if condition == "expired":
        return f"certificate of {name} expired on {_day(facts.not_after)}"
    if condition == "chain_invalid":
        return f"certificate chain of {name} is not trusted: {str(value).replace('_', ' ')}"
    return f"certificate of {name} is not valid for {monitor.sni or monitor.host}"


_CLEARED = {
    "expiring": "certificate of {name} no longer expires soon",
    "expired": "certificate of {name} is no longer expired",
    "chain_invalid": "certificate chain of {name} is trusted again",
    "hostname_mismatch": "certificate of {name} matches its name again",
}


def _changes(monitor: Monitor, raised: dict[str, Any], facts: Facts, now: int, *, why: str = "") -> list[Event]:
    """certificate.alert for each condition raised or moved to a new stage, certificate.recovery
    for each one cleared."""
    events: list[Event] = []
    for condition, value in raised.items():
        if monitor.raised.get(condition) == value:
            continue
        events.append(
            CertificateAlert(
                certificate_id=monitor.id,
                name=monitor.name,
                condition=condition,
                message=_alert_message(monitor, condition, value, facts, now),
                days_left=days_left(facts.not_after, now),
                threshold_days=value if condition == "expiring" else None,
                reason=value if condition == "chain_invalid" else None,
                at_ms=now,
            )
        )
    for condition in monitor.raised:
        if condition not in raised:
            message = _CLEARED.get(condition, "{name}: cleared").format(name=monitor.name) + why
            events.append(
                CertificateRecovery(
                    certificate_id=monitor.id, name=monitor.name, condition=condition, message=message, at_ms=now
                )
            )
    return events


async def record_observation(conn: AsyncConnection, monitor: Monitor, seen: Observation, now: int) -> list[Event]:
    """Store one check of `monitor` and move its facts; returns the events to log. When no
    certificate could be read the raised conditions stay as they were: nothing new is known."""
    facts = Facts(
        checked_at=now,
        error=seen.error,
        not_before=seen.not_before_ms,
        not_after=seen.not_after_ms,
        chain_reason=seen.chain_reason,
        hostname_match=seen.hostname_match,
    )
    raised = conditions(facts, now, monitor.thresholds) if facts.has_certificate else monitor.raised
    judged = status(facts, now, monitor.thresholds)
    await repo.insert_check(
        conn,
        {
            "monitor_id": monitor.id,
            "checked_at": now,
            "status": judged,
            "duration_ms": seen.duration_ms,
            "error": seen.error,
            "subject": seen.subject,
            "issuer": seen.issuer,
            "sans": seen.sans,
            "serial": seen.serial,
            "not_before": seen.not_before_ms,
            "not_after": seen.not_after_ms,
            "tls_version": seen.tls_version,
            "key_type": seen.key_type,
            "key_bits": seen.key_bits,
            "chain": [cert.stored() for cert in seen.chain],
            "chain_valid": seen.chain_valid,
            "chain_reason": seen.chain_reason,
            "chain_detail": seen.chain_detail,
            "hostname_match": seen.hostname_match,
        },
    )
    values: dict[str, Any] = {"last_checked_at": now, "error": seen.error, "raised": raised}
    if facts.has_certificate:
        values.update(
            not_before=seen.not_before_ms,
            not_after=seen.not_after_ms,
            chain_reason=seen.chain_reason,
            hostname_match=seen.hostname_match,
            subject=seen.subject,
            issuer=seen.issuer,
        )
    await repo.update_monitor(conn, monitor.id, values)
    await repo.prune_checks(conn, monitor.id, CHECKS_KEPT)
    return _changes(monitor, raised, facts, now)


async def _remove(conn: AsyncConnection, monitor: Monitor, now: int) -> list[Event]:
    """Delete the monitor; its raised conditions clear (the events to log)."""
    events = _changes(monitor, {}, Facts.of(monitor), now, why=" (monitor removed)")
    await repo.delete_monitor(conn, monitor.id)
    return events


# Automatic monitors for https endpoints (the endpoints domain calls these in its own write unit)


async def track_endpoint(
    conn: AsyncConnection, endpoint_id: str, host: str, port: int, sni: str | None, *, now_ms: int | None = None
) -> None:
    """Make sure an automatic monitor follows this endpoint's certificate; a changed target
    is checked at once. Idempotent."""
    now = SystemClock().now_ms() if now_ms is None else now_ms
    current = await repo.monitor_by_origin(conn, "endpoint", endpoint_id)
    if current is None:
        await repo.insert_monitor(conn, _new_row("endpoint", endpoint_id, host, port, sni, now))
    elif (current.host, current.port, current.sni) != (host, port, sni):
        await repo.update_monitor(conn, current.id, {"host": host, "port": port, "sni": sni, "next_check_at": now})


async def untrack_endpoint(conn: AsyncConnection, endpoint_id: str, *, now_ms: int | None = None) -> None:
    """Remove the endpoint's automatic monitor, if any; its alerts resolve (the recovery
    events are logged in the caller's unit; the alerts consumer finds them in the log)."""
    now = SystemClock().now_ms() if now_ms is None else now_ms
    current = await repo.monitor_by_origin(conn, "endpoint", endpoint_id)
    if current is not None:
        await append(conn, await _remove(conn, current, now))


def _new_row(source: str, origin: str | None, host: str, port: int, sni: str | None, now: int) -> dict[str, Any]:
    return {
        "id": new_id("crt"),
        "source": source,
        "origin": origin,
        "host": host,
        "port": port,
        "sni": sni,
        "interval_seconds": DEFAULT_INTERVAL_SECONDS,
        "thresholds": DEFAULT_THRESHOLDS,
        "created_at": now,
        "updated_at": now,
        "next_check_at": now,
        "raised": {},
    }


# Automatic monitors for agents' certificate checks (results come from the agent, not the hub)


@dataclass(frozen=True)
class AgentCertResult:
    container_name: str
    target: str  # host:port
    success: bool
    checked_at_ms: int
    duration_ms: float | None = None
    error: str | None = None
    expires_at: str | None = None
    days_until_expiry: float | None = None
    issuer: str | None = None
    subject: str | None = None


def _expiry_ms(result: AgentCertResult) -> int | None:
    if result.expires_at:
        try:
            return int(
                datetime.fromisoformat(result.expires_at.replace("Z", "+00:00")).astimezone(UTC).timestamp() * 1000
            )
        except ValueError:
            pass
    if result.days_until_expiry is not None:
        return result.checked_at_ms + int(result.days_until_expiry * DAY_MS)
    return None


def agent_observation(result: AgentCertResult) -> Observation:
    """What an agent's result says, in the hub's terms. The agent verifies chain and name
    together and reports one error, OpenSSL's message: a name mismatch and the chain's
    reasons are told apart by its text ("invalid" when it names none we know)."""
    not_after = _expiry_ms(result)
    error = result.error
    if not_after is None:
        return Observation(duration_ms=result.duration_ms or 0.0, error=error or "the agent read no certificate")
    hostname_match = True
    chain_reason = None
    if error is not None:
        lowered = error.lower()
        if "hostname mismatch" in lowered or "doesn't match" in lowered:
            hostname_match = False
        elif "expired" not in lowered:
            chain_reason = reason_of_message(error)
    return Observation(
        duration_ms=result.duration_ms or 0.0,
        subject=result.subject,
        issuer=result.issuer,
        not_after_ms=not_after,
        chain_valid=chain_reason is None,
        chain_reason=chain_reason,
        chain_detail=error if chain_reason else None,
        hostname_match=hostname_match,
    )


async def delete_for_agent(conn: AsyncConnection, agent_id: str, now_ms: int) -> list[Event]:
    """Remove the monitors of a deleted agent's checks; their alerts resolve (the events to log)."""
    events: list[Event] = []
    for monitor in await repo.monitors_of_agent(conn, agent_id):
        events.extend(await _remove(conn, monitor, now_ms))
    return events


def _split_target(target: str) -> tuple[str, int]:
    host, _, port = target.rpartition(":")
    try:
        return host.strip("[]") or target, int(port)
    except ValueError:
        return target, DEFAULT_PORT


async def record_agent_results(
    conn: AsyncConnection, agent_id: str, results: list[AgentCertResult], now_ms: int
) -> list[Event]:
    """Each reported (agent, container, target) is a monitor with source `agent`, created on
    first sight; its result is recorded like a hub check. Returns the events to log."""
    events: list[Event] = []
    for result in results:
        origin = f"{agent_id}/{result.container_name}/{result.target}"
        monitor = await repo.monitor_by_origin(conn, "agent", origin)
        if monitor is None:
            host, port = _split_target(result.target)
            row = {**_new_row("agent", origin, host, port, None, now_ms), "agent_id": agent_id, "next_check_at": None}
            monitor = await repo.insert_monitor(conn, row)
        events.extend(await record_observation(conn, monitor, agent_observation(result), result.checked_at_ms))
    return events


# Standalone monitors (the API's and configuration import's, each inside its caller's unit)


async def create_standalone(conn: AsyncConnection, fields: dict[str, Any], now: int) -> Monitor:
    """`fields` as CertificateWrite.to_row() gives them."""
    row = {**_new_row("standalone", None, fields["host"], fields["port"], fields["sni"], now), **fields}
    return await repo.insert_monitor(conn, row)


async def replace_standalone(conn: AsyncConnection, current: Monitor, fields: dict[str, Any], now: int) -> Monitor:
    if current.source != "standalone":
        raise conflict(f"certificate monitor {current.id} follows its {current.source}; change that instead")
    values = {**fields, "updated_at": now}
    if (current.host, current.port, current.sni) != (fields["host"], fields["port"], fields["sni"]):
        values["next_check_at"] = now
    elif current.interval_seconds != fields["interval_seconds"]:
        values["next_check_at"] = (current.last_checked_at or now) + fields["interval_seconds"] * 1000
    updated = await repo.update_monitor(conn, current.id, values)
    assert updated is not None
    return updated


async def delete_monitor(conn: AsyncConnection, monitor: Monitor, now: int) -> list[Event]:
    """Delete a monitor and its history; returns the events that clear its conditions, to log."""
    return await _remove(conn, monitor, now)


class CertificateService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def _load(self, conn: AsyncConnection, monitor_id: str, *, lock: bool = False) -> Monitor:
        monitor = await repo.monitor_by_id(conn, monitor_id, lock=lock)
        if monitor is None:
            raise not_found("Certificate monitor", monitor_id)
        return monitor

    async def list_all(self) -> list[Monitor]:
        async with self.hub.store.read() as conn:
            return await repo.list_monitors(conn)

    async def get(self, monitor_id: str) -> tuple[Monitor, Check | None]:
        async with self.hub.store.read() as conn:
            monitor = await self._load(conn, monitor_id)
            latest = await repo.list_checks(conn, monitor_id, 1)
        return monitor, (latest[0] if latest else None)

    async def checks(self, monitor_id: str, limit: int) -> list[Check]:
        async with self.hub.store.read() as conn:
            await self._load(conn, monitor_id)
            return await repo.list_checks(conn, monitor_id, limit)

    async def create(self, fields: dict[str, Any]) -> Monitor:
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> Monitor:
            return await create_standalone(conn, fields, now)

        return await self.hub.store.write(unit)

    async def replace(self, monitor_id: str, fields: dict[str, Any]) -> Monitor:
        """New settings for a standalone monitor; a new target or interval reschedules it."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> Monitor:
            return await replace_standalone(conn, await self._load(conn, monitor_id, lock=True), fields, now)

        return await self.hub.store.write(unit)

    async def delete(self, monitor_id: str) -> None:
        """Delete a monitor and its history; its alerts resolve. A monitor that follows an
        endpoint goes with the endpoint (409 here); an agent's comes back when reported again."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> list[Event]:
            current = await self._load(conn, monitor_id, lock=True)
            if current.source == "endpoint":
                raise conflict(f"certificate monitor {monitor_id} follows an endpoint; delete the endpoint instead")
            return await append(conn, await _remove(conn, current, now))

        await self.hub.bus.publish(*await self.hub.store.write(unit))

    def status_of(self, monitor: Monitor) -> str:
        return status(Facts.of(monitor), self.hub.clock.now_ms(), monitor.thresholds)
