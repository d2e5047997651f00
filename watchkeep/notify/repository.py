"""All SQL on channels, routing rules and the outbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.notify.tables import channel_rules, channels, outbox

ALERT_EVENTS = ("alert.fired", "alert.resolved")

# Channels and rules


async def insert_channel(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(channels).values(**row))


async def update_channel(conn: AsyncConnection, channel_id: str, values: dict[str, Any]) -> int:
    return (await conn.execute(update(channels).where(channels.c.id == channel_id).values(**values))).rowcount


async def seal_channel_config(conn: AsyncConnection, channel_id: str, clear: str, sealed: str) -> None:
    """Replace a config stored in the clear by its sealed form, unless it changed meanwhile;
    `updated_at` stays, as the channel did not change."""
    query = update(channels).where(channels.c.id == channel_id, channels.c.config == clear).values(config=sealed)
    await conn.execute(query)


async def delete_channel(conn: AsyncConnection, channel_id: str) -> int:
    await conn.execute(delete(channel_rules).where(channel_rules.c.channel_id == channel_id))
    return (await conn.execute(delete(channels).where(channels.c.id == channel_id))).rowcount


async def channel_by_id(conn: AsyncConnection, channel_id: str) -> RowMapping | None:
    return (await conn.execute(select(channels).where(channels.c.id == channel_id))).mappings().first()


async def channel_by_name(conn: AsyncConnection, name: str) -> RowMapping | None:
    return (await conn.execute(select(channels).where(channels.c.name == name))).mappings().first()


async def list_channels(conn: AsyncConnection, *, enabled_only: bool = False) -> list[RowMapping]:
    query = select(channels).order_by(channels.c.name)
    if enabled_only:
        query = query.where(channels.c.enabled.is_(True))
    return list((await conn.execute(query)).mappings())


async def insert_rule(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(channel_rules).values(**row))


async def delete_rule(conn: AsyncConnection, channel_id: str, rule_id: str) -> int:
    query = delete(channel_rules).where(channel_rules.c.id == rule_id, channel_rules.c.channel_id == channel_id)
    return (await conn.execute(query)).rowcount


async def list_rules(conn: AsyncConnection, channel_ids: list[str] | None = None) -> list[RowMapping]:
    query = select(channel_rules).order_by(channel_rules.c.created_at, channel_rules.c.id)
    if channel_ids is not None:
        query = query.where(channel_rules.c.channel_id.in_(channel_ids))
    return list((await conn.execute(query)).mappings())


# Outbox


async def enqueue(conn: AsyncConnection, row: dict[str, Any]) -> bool:
    """Insert an outbox row; False when a row with the same dedupe key already exists."""
    maker = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    query = maker(outbox).values(**row).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return bool((await conn.execute(query)).rowcount)


def _due(now_ms: int) -> Any:
    return or_(
        and_(outbox.c.status == "pending", outbox.c.next_attempt_at <= now_ms),
        and_(outbox.c.status == "sending", outbox.c.lease_until < now_ms),
    )


async def claim_due(conn: AsyncConnection, *, now_ms: int, lease_ms: int, worker: str, limit: int) -> list[RowMapping]:
    """Take up to `limit` due rows for this worker. On PostgreSQL rows another replica holds
    are skipped, so two replicas never claim one row; a claim whose lease ran out (its
    replica died mid-send) is due again."""
    candidates = (
        select(outbox.c.id)
        .where(_due(now_ms))
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    query = (
        update(outbox)
        .where(outbox.c.id.in_(candidates.scalar_subquery()), _due(now_ms))
        .values(status="sending", lease_until=now_ms + lease_ms, claimed_by=worker, attempts=outbox.c.attempts + 1)
        .returning(*outbox.c)
    )
    return list((await conn.execute(query)).mappings())


async def claim_one(
    conn: AsyncConnection, delivery_id: str, *, now_ms: int, lease_ms: int, worker: str
) -> RowMapping | None:
    query = (
        update(outbox)
        .where(outbox.c.id == delivery_id, _due(now_ms))
        .values(status="sending", lease_until=now_ms + lease_ms, claimed_by=worker, attempts=outbox.c.attempts + 1)
        .returning(*outbox.c)
    )
    return (await conn.execute(query)).mappings().first()


async def settle(conn: AsyncConnection, delivery_id: str, worker: str, values: dict[str, Any]) -> bool:
    """Record an attempt's outcome, unless another worker took the row over meanwhile."""
    query = (
        update(outbox)
        .where(outbox.c.id == delivery_id, outbox.c.claimed_by == worker, outbox.c.status == "sending")
        .values(lease_until=None, **values)
    )
    return bool((await conn.execute(query)).rowcount)


async def delivery_by_id(conn: AsyncConnection, delivery_id: str) -> RowMapping | None:
    return (await conn.execute(select(outbox).where(outbox.c.id == delivery_id))).mappings().first()


async def list_deliveries(conn: AsyncConnection, target_kind: str, target_id: str, limit: int) -> list[RowMapping]:
    query = (
        select(outbox)
        .where(outbox.c.target_kind == target_kind, outbox.c.target_id == target_id)
        .order_by(outbox.c.created_at.desc(), outbox.c.id.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).mappings())


async def deliveries_for_alert(conn: AsyncConnection, alert_id: str, limit: int) -> list[RowMapping]:
    query = (
        select(outbox)
        .where(outbox.c.alert_id == alert_id)
        .order_by(outbox.c.created_at.desc(), outbox.c.id.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).mappings())


async def cancel_pending(conn: AsyncConnection, target_kind: str, target_id: str, reason: str) -> int:
    query = (
        update(outbox)
        .where(outbox.c.target_kind == target_kind, outbox.c.target_id == target_id, outbox.c.status == "pending")
        .values(status="cancelled", last_error=reason)
    )
    return (await conn.execute(query)).rowcount


async def channels_with_due_alerts(conn: AsyncConnection, now_ms: int) -> list[str]:
    query = (
        select(outbox.c.target_id)
        .where(
            outbox.c.target_kind == "channel",
            outbox.c.status == "pending",
            outbox.c.attempts == 0,
            outbox.c.next_attempt_at <= now_ms,
            outbox.c.event_type.in_(ALERT_EVENTS),
        )
        .group_by(outbox.c.target_id)
    )
    return [str(r) for r in (await conn.execute(query)).scalars()]


async def recent_sends(conn: AsyncConnection, channel_id: str, since_ms: int) -> list[int]:
    """When each alert message or digest sent (or being sent) to the channel since then was queued."""
    query = select(outbox.c.created_at).where(
        outbox.c.target_kind == "channel",
        outbox.c.target_id == channel_id,
        outbox.c.status.in_(("delivered", "sending")),
        outbox.c.event_type.in_((*ALERT_EVENTS, "alert.digest")),
        outbox.c.created_at >= since_ms,
    )
    return [int(v) for v in (await conn.execute(query)).scalars()]


async def defer(conn: AsyncConnection, ids: list[str], until_ms: int) -> None:
    query = update(outbox).where(outbox.c.id.in_(ids), outbox.c.status == "pending").values(next_attempt_at=until_ms)
    await conn.execute(query)


async def lock_due_alert_rows(conn: AsyncConnection, channel_id: str, now_ms: int, limit: int) -> list[RowMapping]:
    query = (
        select(outbox)
        .where(
            outbox.c.target_kind == "channel",
            outbox.c.target_id == channel_id,
            outbox.c.status == "pending",
            outbox.c.attempts == 0,
            outbox.c.next_attempt_at <= now_ms,
            outbox.c.event_type.in_(ALERT_EVENTS),
        )
        .order_by(outbox.c.created_at, outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(query)).mappings())


async def mark_digested(conn: AsyncConnection, ids: list[str], digest_id: str) -> int:
    query = (
        update(outbox)
        .where(outbox.c.id.in_(ids), outbox.c.status == "pending")
        .values(status="digested", digest_id=digest_id)
    )
    return (await conn.execute(query)).rowcount


async def last_enqueued_at(conn: AsyncConnection, alert_id: str, channel_id: str) -> int | None:
    query = select(func.max(outbox.c.created_at)).where(
        outbox.c.alert_id == alert_id, outbox.c.target_kind == "channel", outbox.c.target_id == channel_id
    )
    value = (await conn.execute(query)).scalar()
    return int(value) if value is not None else None


async def outbox_counts(conn: AsyncConnection) -> dict[str, int]:
    """Messages in the outbox by status."""
    query = select(outbox.c.status, func.count()).group_by(outbox.c.status)
    return {str(status): int(count) for status, count in (await conn.execute(query)).all()}
