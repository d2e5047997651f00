"""Endpoints: create, read, replace, delete, pause and resume; recording a check's result
(status with thresholds, events, rollups); results, daily uptime, response times and the
dashboard's sparklines. No HTTP, no SQL."""

from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.agents import repository as agents_repo
from watchkeep.certificates import service as certificates
from watchkeep.core.clock import rfc3339
from watchkeep.core.errors import conflict, not_found, validation_error
from watchkeep.core.events import EndpointAlert, EndpointCheckResult, EndpointDeleted, EndpointRecovery, Event
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id
from watchkeep.endpoints import repository as repo
from watchkeep.endpoints import sealing
from watchkeep.endpoints.records import EndpointRecord, LocationRecord, ResultRecord
from watchkeep.endpoints.schemas import (
    EndpointOut,
    EndpointWrite,
    LocationStatusOut,
    ResponsePointOut,
    ResponseTimesOut,
)
from watchkeep.endpoints.status import Counters, advance, by_rule
from watchkeep.endpoints.uptime import HOUR_MS, DayUptime, daily_uptime, first_day_ms
from watchkeep.probes import CheckSpec, Outcome

RECENT_POINTS = 30  # results kept on the endpoint's row for its sparkline
FIRST_CHECK_SPREAD_S = 30  # a new endpoint's first check falls at random within this (or its interval)
RANGES_MS = {"1h": 3_600_000, "6h": 21_600_000, "24h": 86_400_000, "7d": 604_800_000, "30d": 2_592_000_000}
RAW_RANGE_MS = 86_400_000  # longer ranges are read from the hourly rollups
MAX_RAW_POINTS = 20_000


class EndpointService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    # Reading

    def out(self, row: EndpointRecord) -> EndpointOut:
        settings = sealing.shown(sealing.opened(row.config, self.hub.secrets))
        return EndpointOut.of(row, sealing.shown_target(row.type, row.target), settings)

    def spec(self, row: EndpointRecord) -> CheckSpec:
        return CheckSpec(
            endpoint_id=row.id,
            type=row.type,
            target=row.target,
            timeout_seconds=row.timeout_seconds,
            settings=sealing.opened(row.config, self.hub.secrets),
        )

    async def _load(self, conn: AsyncConnection, endpoint_id: str, *, lock: bool = False) -> EndpointRecord:
        row = await repo.endpoint_by_id(conn, endpoint_id, lock=lock)
        if row is None:
            raise not_found("Endpoint", endpoint_id)
        return row

    async def check_stored_secrets(self) -> None:
        """Open every endpoint's sealed headers: a hub whose key does not open them stops at
        start (core.crypto.SecretKeyError), before checking anything with the wrong secrets."""
        for row in await self.list_all():
            sealing.opened(row.config, self.hub.secrets)

    async def list_all(self) -> list[EndpointRecord]:
        async with self.hub.store.read() as conn:
            return await repo.list_endpoints(conn)

    async def get(self, endpoint_id: str) -> EndpointRecord:
        async with self.hub.store.read() as conn:
            return await self._load(conn, endpoint_id)

    async def details(self, endpoint_id: str) -> EndpointOut:
        """The endpoint with each location's status: an endpoint checked from one place
        only has that place's status, which is its own."""
        async with self.hub.store.read() as conn:
            row = await self._load(conn, endpoint_id)
            stored = {r.location: r for r in await repo.location_rows(conn, endpoint_id)}
        out = self.out(row)
        places = row.location_list
        out.location_status = [
            LocationStatusOut.of(stored.get(place) or _own_location(row, place, single=len(places) == 1))
            for place in places
        ]
        return out

    async def of_container(self, container_id: str) -> list[EndpointRecord]:
        async with self.hub.store.read() as conn:
            return await repo.of_container(conn, container_id)

    async def checks(self, endpoint_id: str, limit: int, status: str | None = None) -> list[ResultRecord]:
        async with self.hub.store.read() as conn:
            await self._load(conn, endpoint_id)
            return await repo.list_results(conn, endpoint_id, limit, status=status)

    async def daily_uptime(self, endpoint_id: str, days: int) -> list[DayUptime]:
        now = self.hub.clock.now_ms()
        async with self.hub.store.read() as conn:
            await self._load(conn, endpoint_id)
            rollups = await repo.rollups_since(conn, endpoint_id, first_day_ms(now, days))
        return daily_uptime(rollups, now, days)

    async def response_times(self, endpoint_id: str, range_name: str) -> ResponseTimesOut:
        """Each check's response time for ranges up to a day; hourly averages (from the
        rollups) beyond."""
        if range_name not in RANGES_MS:
            raise validation_error(f"range: one of {', '.join(RANGES_MS)}", "range")
        now = self.hub.clock.now_ms()
        since = now - RANGES_MS[range_name]
        async with self.hub.store.read() as conn:
            await self._load(conn, endpoint_id)
            if RANGES_MS[range_name] <= RAW_RANGE_MS:
                results = await repo.list_results(conn, endpoint_id, MAX_RAW_POINTS, since_ms=since, newest_first=False)
                points = [
                    ResponsePointOut(
                        at=rfc3339(r.at), response_ms=r.response_ms, uptime_percent=100.0 if r.status == "up" else 0.0
                    )
                    for r in results
                ]
                return ResponseTimesOut(range=range_name, resolution="check", points=points)
            rollups = await repo.rollups_since(conn, endpoint_id, since - since % HOUR_MS)
        points = [
            ResponsePointOut(
                at=rfc3339(r.hour),
                response_ms=round(r.response_sum_ms / r.timed_checks, 2) if r.timed_checks else None,
                max_response_ms=r.response_max_ms,
                uptime_percent=round(100.0 * r.up_checks / r.checks, 3) if r.checks else None,
            )
            for r in rollups
        ]
        return ResponseTimesOut(range=range_name, resolution="hour", points=points)

    # Writing

    async def create(self, body: EndpointWrite) -> EndpointRecord:
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> EndpointRecord:
            return await create_endpoint(conn, self.hub, body, now)

        return await self.hub.store.write(unit)

    async def replace(self, endpoint_id: str, body: EndpointWrite) -> EndpointRecord:
        """Replace the writable fields (replace_endpoint says how)."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> EndpointRecord:
            return await replace_endpoint(conn, self.hub, endpoint_id, body, now)

        return await self.hub.store.write(unit)

    async def delete(self, endpoint_id: str) -> None:
        """Delete the endpoint and its history; its alert, if any, resolves."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> list[Event]:
            return await append(conn, await delete_endpoint(conn, endpoint_id, now))

        await self.hub.bus.publish(*await self.hub.store.write(unit))

    async def pause(self, endpoint_id: str) -> EndpointRecord:
        """No checks while paused; the status shows unknown. Pausing twice is harmless."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> EndpointRecord:
            await self._load(conn, endpoint_id, lock=True)
            updated = await repo.update_endpoint(
                conn, endpoint_id, {"paused": True, "next_check_at": None, "updated_at": now}
            )
            assert updated is not None
            return updated

        return await self.hub.store.write(unit)

    async def resume(self, endpoint_id: str) -> EndpointRecord:
        """Checks start again at once; the counters start again from zero, the stored
        status stays until results move it (so a down endpoint recovers by its threshold)."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> EndpointRecord:
            current = await self._load(conn, endpoint_id, lock=True)
            if not current.paused:
                return current
            values = {
                "paused": False,
                "next_check_at": now if current.checked_by_hub and current.active and not current.suspended else None,
                "consecutive_failures": 0,
                "consecutive_successes": 0,
                "updated_at": now,
            }
            updated = await repo.update_endpoint(conn, endpoint_id, values)
            assert updated is not None
            return updated

        return await self.hub.store.write(unit)

    async def record(self, endpoint_id: str, outcome: Outcome, at_ms: int, location: str = "hub") -> list[Event]:
        """Store one result: the endpoint's counters and status, the raw result, its hour's
        rollup and, when the status changed, endpoint.alert or endpoint.recovery, all in one
        unit; then publish them with the live endpoint.check_result. A result for an endpoint
        deleted or paused meanwhile is dropped."""

        async def unit(conn: AsyncConnection) -> list[Event]:
            current = await repo.endpoint_by_id(conn, endpoint_id, lock=True)
            if current is None:
                return []
            if not current.schedulable or location not in current.location_list:
                await repo.update_endpoint(conn, endpoint_id, {"lease_until": None})
                return []
            return await _apply(conn, current, outcome, at_ms, location)

        events = await self.hub.store.write(unit)
        if events:
            await self.hub.bus.publish(*events)
        return events

    async def release(self, endpoint_id: str) -> None:
        """Drop the lease of a check that could not run (the hub is stopping)."""

        async def unit(conn: AsyncConnection) -> None:
            await repo.update_endpoint(conn, endpoint_id, {"lease_until": None})

        await self.hub.store.write(unit)


def _first_check_at(now: int, interval_seconds: int) -> int:
    spread = min(interval_seconds, FIRST_CHECK_SPREAD_S) * 1000
    return now + random.randrange(spread) if spread > 0 else now


async def create_endpoint(conn: AsyncConnection, hub: Hub, body: EndpointWrite, now: int) -> EndpointRecord:
    """Insert a new endpoint inside the caller's unit; its first check falls within seconds
    (when the hub is one of its locations)."""
    await _check_locations(conn, body.locations)
    hub_checks = "hub" in body.locations
    target, settings = sealing.merged(body.type, body.target, body.settings(), None, None)
    row = {
        "id": new_id("ep"),
        "name": body.name,
        "type": body.type,
        "target": target,
        "interval_seconds": body.interval_seconds,
        "timeout_seconds": body.timeout_seconds,
        "failure_threshold": body.failure_threshold,
        "recovery_threshold": body.recovery_threshold,
        "config": sealing.sealed(settings, hub.secrets),
        "paused": False,
        "status": "unknown",
        "consecutive_failures": 0,
        "consecutive_successes": 0,
        "status_since": now,
        "recent": "[]",
        "next_check_at": _first_check_at(now, body.interval_seconds) if hub_checks else None,
        "created_at": now,
        "updated_at": now,
        "source": "manual",
        "locations": json.dumps(body.locations),
        "location_rule": body.location_rule,
    }
    created = await repo.insert_endpoint(conn, row)
    await _follow_certificate(conn, created, body.settings(), now)
    return created


async def replace_endpoint(
    conn: AsyncConnection, hub: Hub, endpoint_id: str, body: EndpointWrite, now: int
) -> EndpointRecord:
    """Replace the writable fields. Masked secrets sent back keep the stored ones (only
    while the type stays, and a URL's credentials only while the URL is otherwise the
    same); a new interval is due within a few seconds. The status and its counters stay:
    the next results move them, so a down endpoint still recovers (and resolves its
    alert) by its threshold."""
    current = await repo.endpoint_by_id(conn, endpoint_id, lock=True)
    if current is None:
        raise not_found("Endpoint", endpoint_id)
    if current.source == "discovered":
        raise conflict(
            "a discovered endpoint follows its container's labels; change the labels (pause and resume work)",
            "source",
        )
    await _check_locations(conn, body.locations)
    same_type = current.type == body.type
    previous = sealing.opened(current.config, hub.secrets) if same_type else None
    target, settings = sealing.merged(
        body.type, body.target, body.settings(), current.target if same_type else None, previous
    )
    values: dict[str, Any] = {
        "name": body.name,
        "type": body.type,
        "target": target,
        "interval_seconds": body.interval_seconds,
        "timeout_seconds": body.timeout_seconds,
        "failure_threshold": body.failure_threshold,
        "recovery_threshold": body.recovery_threshold,
        "config": sealing.sealed(settings, hub.secrets),
        "updated_at": now,
        "locations": json.dumps(body.locations),
        "location_rule": body.location_rule,
    }
    if "hub" not in body.locations:
        values["next_check_at"] = None
    elif current.schedulable and (body.interval_seconds != current.interval_seconds or not current.checked_by_hub):
        values["next_check_at"] = _first_check_at(now, min(body.interval_seconds, 5))
    await repo.drop_locations_except(conn, endpoint_id, body.locations)
    updated = await repo.update_endpoint(conn, endpoint_id, values)
    assert updated is not None
    await _follow_certificate(conn, updated, settings, now)
    return updated


async def delete_endpoint(conn: AsyncConnection, endpoint_id: str, now: int) -> list[Event]:
    """Delete the endpoint and its history inside the caller's unit; returns the event to
    log (its alert, if any, resolves on it)."""
    row = await repo.delete_endpoint(conn, endpoint_id)
    if row is None:
        raise not_found("Endpoint", endpoint_id)
    await certificates.untrack_endpoint(conn, endpoint_id, now_ms=now)
    return [EndpointDeleted(endpoint_id=row.id, name=row.name, target=row.target, at_ms=now)]


async def _follow_certificate(
    conn: AsyncConnection, endpoint: EndpointRecord, settings: dict[str, Any], now: int
) -> None:
    """An https endpoint has an automatic certificate monitor (certificates/), unless its
    checks skip TLS verification: that endpoint's certificate is trusted as it is."""
    url = urlsplit(endpoint.target) if endpoint.type == "http" else None
    if url is not None and url.scheme == "https" and url.hostname and settings.get("verify_tls", True):
        await certificates.track_endpoint(conn, endpoint.id, url.hostname, url.port or 443, None, now_ms=now)
    else:
        await certificates.untrack_endpoint(conn, endpoint.id, now_ms=now)


async def _check_locations(conn: AsyncConnection, locations: list[str]) -> None:
    """Every location is the hub or a registered agent (else a 400 naming it)."""
    for index, location in enumerate(locations):
        if location != "hub" and await agents_repo.get(conn, location) is None:
            raise validation_error(f"locations[{index}]: no agent {location}", f"locations[{index}]")


def _own_location(row: EndpointRecord, location: str, *, single: bool) -> LocationRecord:
    """A location with no stored row: the endpoint's own state when it is the only one."""
    if not single:
        return LocationRecord(location=location, endpoint_id=row.id, status="unknown", consecutive_failures=0,
                              consecutive_successes=0, last_check_at=None, last_result=None, last_response_ms=None,
                              last_http_status=None, last_error=None)  # fmt: skip
    return LocationRecord(
        endpoint_id=row.id,
        location=location,
        status=row.shown_status,
        consecutive_failures=row.consecutive_failures,
        consecutive_successes=row.consecutive_successes,
        last_check_at=row.last_check_at,
        last_result=row.last_result,
        last_response_ms=row.last_response_ms,
        last_http_status=row.last_http_status,
        last_error=row.last_error,
    )


async def _after(
    conn: AsyncConnection, current: EndpointRecord, outcome: Outcome, at_ms: int, location: str
) -> tuple[Counters, Counters]:
    """The endpoint's counters before and after a result. Checked from one place, the
    endpoint's own counters take the result; from several, the location's own counters do and
    the endpoint's status follows its rule over the locations' statuses."""
    before = Counters(current.status, current.consecutive_failures, current.consecutive_successes)
    thresholds = {"failure_threshold": current.failure_threshold, "recovery_threshold": current.recovery_threshold}
    places = current.location_list
    if len(places) <= 1:
        return before, advance(before, outcome.up, **thresholds)
    stored = {row.location: row for row in await repo.location_rows(conn, current.id)}
    mine = stored.get(location)
    counters = Counters("unknown", 0, 0) if mine is None else Counters(
        mine.status, mine.consecutive_failures, mine.consecutive_successes
    )  # fmt: skip
    moved = advance(counters, outcome.up, **thresholds)
    await repo.put_location(
        conn,
        {
            "endpoint_id": current.id,
            "location": location,
            "status": moved.status,
            "consecutive_failures": moved.failures,
            "consecutive_successes": moved.successes,
            "last_check_at": at_ms,
            "last_result": "up" if outcome.up else "down",
            "last_response_ms": outcome.response_ms,
            "last_http_status": outcome.http_status,
            "last_error": outcome.error,
        },
    )
    statuses = [moved.status if place == location else (stored[place].status if place in stored else "unknown")
                for place in places]  # fmt: skip
    return before, Counters(by_rule(statuses, current.location_rule), moved.failures, moved.successes)


async def _apply(
    conn: AsyncConnection, current: EndpointRecord, outcome: Outcome, at_ms: int, location: str = "hub"
) -> list[Event]:
    before, after = await _after(conn, current, outcome, at_ms, location)
    result = "up" if outcome.up else "down"
    recent = json.loads(current.recent or "[]")
    recent.append([at_ms, outcome.response_ms, 1 if outcome.up else 0])
    values: dict[str, Any] = {
        "status": after.status,
        "consecutive_failures": after.failures,
        "consecutive_successes": after.successes,
        "last_check_at": at_ms,
        "last_result": result,
        "last_response_ms": outcome.response_ms,
        "last_http_status": outcome.http_status,
        "last_error": outcome.error,
        "recent": json.dumps(recent[-RECENT_POINTS:], separators=(",", ":")),
        "lease_until": None,
    }
    events: list[Event] = []
    if after.status != before.status:
        values["status_since"] = at_ms
        if after.status == "down":
            events.append(
                EndpointAlert(
                    endpoint_id=current.id,
                    name=current.name,
                    target=sealing.shown_target(current.type, current.target),
                    consecutive_failures=after.failures,
                    error=outcome.error,
                    http_status=outcome.http_status,
                    at_ms=at_ms,
                )
            )
        elif before.status == "down":
            events.append(
                EndpointRecovery(
                    endpoint_id=current.id,
                    name=current.name,
                    target=sealing.shown_target(current.type, current.target),
                    down_since_ms=current.status_since,
                    at_ms=at_ms,
                )
            )
    await repo.record_result(
        conn,
        current.id,
        values,
        {
            "at": at_ms,
            "status": result,
            "response_ms": outcome.response_ms,
            "http_status": outcome.http_status,
            "error": outcome.error,
            "location": location,
        },
    )
    await repo.add_to_rollup(conn, current.id, at_ms, outcome.up, outcome.response_ms)
    events.append(
        EndpointCheckResult(
            endpoint_id=current.id,
            name=current.name,
            result=result,
            status=after.status,
            response_ms=outcome.response_ms,
            http_status=outcome.http_status,
            error=outcome.error,
            at_ms=at_ms,
        )
    )
    return await append(conn, events)


async def sparklines(hub: Hub) -> list[dict[str, Any]]:
    """Every endpoint's latest results for the dashboard, in one query:
    `[{"endpointId", "name", "status", "points": [{"at", "responseMs", "up"}, ...]}]`, points
    oldest first (at most 30), `responseMs` null where a check got no answer."""
    async with hub.store.read() as conn:
        rows = await repo.sparkline_rows(conn)
    return [
        {
            "endpointId": endpoint_id,
            "name": name,
            "status": "unknown" if paused else status,
            "points": [{"at": rfc3339(at), "responseMs": ms, "up": bool(up)} for at, ms, up in json.loads(recent)],
        }
        for endpoint_id, name, status, paused, recent in rows
    ]
