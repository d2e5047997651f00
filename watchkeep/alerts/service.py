"""The one alert lifecycle. A source reports a condition as firing or clear; the engine
fires a new alert, dedupes one already firing by (source, type, entity), raises its
severity, resolves it, and queues its messages in the same transaction. Silences and
maintenance windows hold messages back; a re-evaluation sends them once they lift."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.alerts import repository as repo
from watchkeep.alerts.maintenance import window_active
from watchkeep.core.errors import conflict, not_found, validation_error
from watchkeep.core.events import AlertAcknowledged, AlertFired, AlertResolved, Event, SilenceExpired
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id
from watchkeep.core.matchers import SEVERITY_RANK, matches
from watchkeep.notify.message import AlertNotice
from watchkeep.notify.outbox import enqueue_alert, enqueue_repeats

SEVERITIES = tuple(SEVERITY_RANK)
STATUSES = ("active", "resolved", "silenced", "acknowledged")


@dataclass(frozen=True)
class Condition:
    """What a source reports about one entity: firing (with a severity) or clear."""

    source: str
    type: str
    entity_type: str
    entity_id: str
    firing: bool
    severity: str = "warning"
    message: str = ""
    entity_name: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    # A step within one firing condition (a certificate's expiry threshold): reported with
    # a new stage, the firing alert takes the new message and is sent again, as on a
    # severity rise. Kept in the alert's details as "stage".
    stage: str | None = None

    def stored_details(self) -> str:
        if self.stage is None:
            return json.dumps(self.details)
        return json.dumps({**self.details, "stage": self.stage})


def facts(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    labels = row["labels"]
    return {
        "source": row["source"],
        "severity": row["severity"],
        "entity_type": row["entity_type"],
        "entity_id": row["entity_id"],
        "labels": json.loads(labels) if isinstance(labels, str) else labels,
    }


async def is_silenced(conn: AsyncConnection, alert: dict[str, Any], now_ms: int) -> bool:
    for silence in await repo.current_silences(conn, now_ms):
        if silence["starts_at"] <= now_ms and matches(json.loads(silence["matchers"]), alert):
            return True
    for window in await repo.list_windows(conn):
        if window_active(window, now_ms) and matches(json.loads(window["matchers"]), alert):
            return True
    return False


def notice_of(row: RowMapping, state: str) -> AlertNotice:
    return AlertNotice(
        alert_id=row["id"],
        state="resolved" if state == "resolved" else "firing",
        source=row["source"],
        type=row["type"],
        severity=row["severity"],
        message=row["message"],
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        entity_name=row["entity_name"],
        fired_at_ms=row["fired_at"],
        resolved_at_ms=row["resolved_at"],
        labels=json.loads(row["labels"]),
    )


def _fired_event(row: RowMapping, now_ms: int, *, upgraded: bool) -> AlertFired:
    return AlertFired(
        alert_id=row["id"],
        source=row["source"],
        alert_type=row["type"],
        severity=row["severity"],
        message=row["message"],
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        entity_name=row["entity_name"],
        silenced=bool(row["silenced"]),
        upgraded=upgraded,
        at_ms=now_ms,
    )


async def _notify_if_due(conn: AsyncConnection, row: RowMapping, now_ms: int) -> RowMapping:
    """Queue the firing message when the alert may be sent and its current severity was not."""
    if row["silenced"] or (row["snoozed_until"] or 0) > now_ms:
        return row
    sent = row["notified_severity"]
    if sent is not None and SEVERITY_RANK[sent] >= SEVERITY_RANK[row["severity"]]:
        return row
    await enqueue_alert(conn, notice_of(row, "firing"), now_ms=now_ms, occasion=f"fired:{row['severity']}")
    await repo.update_alert(conn, row["id"], {"notified_severity": row["severity"], "notified_at": now_ms})
    updated = await repo.alert_by_id(conn, row["id"])
    assert updated is not None
    return updated


async def apply_condition(
    conn: AsyncConnection, condition: Condition, now: int
) -> tuple[RowMapping | None, list[Event]]:
    """Fire, dedupe, upgrade or resolve the alert `condition` is about, queueing its messages;
    returns the alert (None: a clear with nothing firing) and the events to log."""
    if condition.firing:
        if condition.severity not in SEVERITY_RANK:
            raise ValueError(f"unknown severity {condition.severity!r}")
        return await _fire(conn, condition, now)
    return await _clear(conn, condition, now)


async def _fire(conn: AsyncConnection, condition: Condition, now: int) -> tuple[RowMapping, list[Event]]:
    current = await repo.active_by_key(
        conn, condition.source, condition.type, condition.entity_type, condition.entity_id
    )
    if current is None:
        alert_id = new_id("alr")
        row = {
            "id": alert_id,
            "source": condition.source,
            "type": condition.type,
            "severity": condition.severity,
            "status": "active",
            "message": condition.message,
            "entity_type": condition.entity_type,
            "entity_id": condition.entity_id,
            "entity_name": condition.entity_name,
            "details": condition.stored_details(),
            "labels": json.dumps(condition.labels),
            "fired_at": now,
            "last_seen_at": now,
            "silenced": False,
        }
        row["silenced"] = await is_silenced(conn, facts(row), now)
        await repo.insert_alert(conn, row)
        created = await repo.alert_by_id(conn, alert_id)
        assert created is not None
        return await _notify_if_due(conn, created, now), [_fired_event(created, now, upgraded=False)]
    values: dict[str, Any] = {"last_seen_at": now}
    upgraded = SEVERITY_RANK[condition.severity] > SEVERITY_RANK[current["severity"]]
    restaged = condition.stage is not None and condition.stage != json.loads(current["details"]).get("stage")
    if upgraded:
        values["severity"] = condition.severity
    if upgraded or restaged:
        values.update(message=condition.message or current["message"], details=condition.stored_details())
    await repo.update_alert(conn, current["id"], values)
    row_now = await repo.alert_by_id(conn, current["id"])
    assert row_now is not None
    events: list[Event] = [_fired_event(row_now, now, upgraded=True)] if upgraded or restaged else []
    if restaged and not upgraded:
        row_now = await _notify_stage(conn, row_now, now, str(condition.stage))
    return await _notify_if_due(conn, row_now, now), events


async def _notify_stage(conn: AsyncConnection, row: RowMapping, now_ms: int, stage: str) -> RowMapping:
    """Send the alert again at its new stage, unless it may not be sent now (silenced,
    snoozed) or was never sent (its first message then carries the new stage)."""
    if row["silenced"] or (row["snoozed_until"] or 0) > now_ms or row["notified_severity"] is None:
        return row
    await enqueue_alert(conn, notice_of(row, "firing"), now_ms=now_ms, occasion=f"fired:{row['severity']}:{stage}")
    await repo.update_alert(conn, row["id"], {"notified_at": now_ms})
    updated = await repo.alert_by_id(conn, row["id"])
    assert updated is not None
    return updated


async def _clear(conn: AsyncConnection, condition: Condition, now: int) -> tuple[RowMapping | None, list[Event]]:
    current = await repo.active_by_key(
        conn, condition.source, condition.type, condition.entity_type, condition.entity_id
    )
    if current is None:
        return None, []
    values = {"status": "resolved", "resolved_at": now, "last_seen_at": now, "resolution": condition.message}
    await repo.update_alert(conn, current["id"], values)
    resolved = await repo.alert_by_id(conn, current["id"])
    assert resolved is not None
    if resolved["notified_severity"] is not None:
        await enqueue_alert(conn, notice_of(resolved, "resolved"), now_ms=now, occasion="resolved")
    event = AlertResolved(
        alert_id=resolved["id"],
        source=resolved["source"],
        alert_type=resolved["type"],
        severity=resolved["severity"],
        message=condition.message or resolved["message"],
        entity_type=resolved["entity_type"],
        entity_id=resolved["entity_id"],
        entity_name=resolved["entity_name"],
        at_ms=now,
    )
    return resolved, [event]


def encode_cursor(row: RowMapping) -> str:
    return base64.urlsafe_b64encode(f"{row['fired_at']}:{row['id']}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        fired, ident = raw.split(":", 1)
        return int(fired), ident
    except (ValueError, UnicodeDecodeError):
        raise validation_error("cursor is not one this API returned", "cursor") from None


class AlertService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store

    async def report(self, condition: Condition) -> RowMapping | None:
        """Apply one report in a write of its own; returns the alert it concerned (None: a
        clear with nothing firing). Sources report through the event log's consumer
        (alerts/sources.py), in the consumer's own transaction, with `apply_condition`."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[RowMapping | None, list[Event]]:
            row, events = await apply_condition(conn, condition, now)
            return row, await append(conn, events)

        try:
            result, events = await self.store.write(unit)
        except IntegrityError:
            # Another replica created this alert at the same moment: it is now a repeat report.
            result, events = await self.store.write(unit)
        await self.hub.bus.publish(*events)
        return result

    async def acknowledge(self, alert_id: str, username: str) -> RowMapping:
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[RowMapping, list[Event]]:
            row = await self._active(conn, alert_id)
            events: list[Event] = []
            if row["acknowledged_at"] is None:
                await repo.update_alert(conn, alert_id, {"acknowledged_at": now, "acknowledged_by": username})
                events.append(AlertAcknowledged(alert_id=alert_id, acknowledged_by=username, at_ms=now))
            updated = await repo.alert_by_id(conn, alert_id)
            assert updated is not None
            return updated, await append(conn, events)

        row, events = await self.store.write(unit)
        await self.hub.bus.publish(*events)
        return row

    async def snooze(self, alert_id: str, until_ms: int) -> RowMapping:
        now = self.hub.clock.now_ms()
        if until_ms <= now:
            raise validation_error("the snooze must end in the future", "until")

        async def unit(conn: AsyncConnection) -> RowMapping:
            await self._active(conn, alert_id)
            await repo.update_alert(conn, alert_id, {"snoozed_until": until_ms})
            updated = await repo.alert_by_id(conn, alert_id)
            assert updated is not None
            return updated

        return await self.store.write(unit)

    async def _active(self, conn: AsyncConnection, alert_id: str) -> RowMapping:
        row = await repo.alert_by_id(conn, alert_id)
        if row is None:
            raise not_found("alert", alert_id)
        if row["status"] != "active":
            raise conflict(f"alert {alert_id} is already resolved")
        return row

    async def get(self, alert_id: str) -> RowMapping:
        async with self.store.read() as conn:
            row = await repo.alert_by_id(conn, alert_id)
        if row is None:
            raise not_found("alert", alert_id)
        return row

    async def search(
        self,
        *,
        filters: dict[str, Any],
        status: str | None,
        since_ms: int | None,
        until_ms: int | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[RowMapping], str | None]:
        if status is not None and status not in STATUSES:
            raise validation_error(f"status must be one of {', '.join(STATUSES)}", "status")
        if filters.get("severity") is not None and filters["severity"] not in SEVERITY_RANK:
            raise validation_error(f"severity must be one of {', '.join(SEVERITIES)}", "severity")
        after = decode_cursor(cursor) if cursor else None
        async with self.store.read() as conn:
            rows = await repo.list_alerts(
                conn,
                filters=filters,
                status=status,
                since_ms=since_ms,
                until_ms=until_ms,
                after=after,
                limit=limit + 1,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (encode_cursor(rows[-1]) if more and rows else None)

    async def active(self) -> list[RowMapping]:
        async with self.store.read() as conn:
            return await repo.active_alerts(conn)

    async def evaluate(self) -> bool:
        """Announce ended silences; re-check which alerts are silenced; send what a lifted
        silence, an ended snooze or a maintenance window's close lets out; send repeats."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> list[Event]:
            expired: list[Event] = []
            for silence in await repo.ended_unannounced(conn, now):
                if await repo.announce_expiry(conn, silence["id"]):
                    expired.append(
                        SilenceExpired(silence_id=silence["id"], ended_early=bool(silence["ended_early"]), at_ms=now)
                    )
            for row in await repo.active_alerts(conn):
                silenced = await is_silenced(conn, facts(row), now)
                if silenced != bool(row["silenced"]):
                    await repo.update_alert(conn, row["id"], {"silenced": silenced})
                    refreshed = await repo.alert_by_id(conn, row["id"])
                    assert refreshed is not None
                    row = refreshed
                before = row["notified_severity"]
                row = await _notify_if_due(conn, row, now)
                if row["notified_severity"] != before:
                    continue  # sent just now
                quiet = row["silenced"] or row["acknowledged_at"] is not None or (row["snoozed_until"] or 0) > now
                if not quiet and row["notified_severity"] is not None:
                    await enqueue_repeats(conn, notice_of(row, "firing"), now_ms=now)
            return await append(conn, expired)

        await self.hub.bus.publish(*await self.store.write(unit))
        return False
