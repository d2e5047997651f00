"""Image updates: scans (queued by the API or the schedule, run by one replica), each
container's verdict with the events it causes, pins and exclusions.

A scan reads the container inventory (the containers domain), plans every container
(detect.plan: no network), checks the planned ones through one registry client whose
`Lookups` ask each registry question once, then writes every verdict, and the events of
what changed, in one unit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.containers.service import ContainerService
from watchkeep.core.errors import conflict, not_found
from watchkeep.core.events import (
    Event,
    UpdateDetected,
    UpdatePinned,
    UpdateResolved,
    UpdateScanCompleted,
    UpdateScanStarted,
    UpdateUnpinned,
)
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id
from watchkeep.updates import repository as repo
from watchkeep.updates.detect import Finding, Lookups, PinnedAt, Plan, Rule, Target, check, plan, source_links
from watchkeep.updates.references import BadReference, ImageRef, digests_of, parse
from watchkeep.updates.registry import RegistryClient, parse_credentials
from watchkeep.updates.repository import Exclusion, Pin, Scan, Verdict

log = logging.getLogger("watchkeep.updates")

SCANS_KEPT = 50
# A running scan whose replica has not written progress for this long is taken over.
STALE_SCAN_MS = 15 * 60 * 1000
# Progress is written at most this often (and at the end).
PROGRESS_EVERY_MS = 1000
# Why a raised update no longer waits, by the verdict's new status.
_RESOLVED_BY = {
    "up_to_date": "applied",
    "pinned": "pinned",
    "excluded": "excluded",
    "disabled": "disabled",
    "unsupported": "unsupported",
}


@dataclass
class ScanWake:
    """Set when a scan is queued on this replica, so its worker starts at once."""

    event: asyncio.Event = field(default_factory=asyncio.Event)


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None


def target_of(row: RowMapping) -> Target:
    """A container of the inventory as a scan sees it."""
    return Target(
        container_id=row["public_id"],
        agent_id=row["agent_id"],
        name=row["name"],
        image=row["image"] or "",
        labels=_json(row["labels"]) or {},
        image_labels=_json(row["image_labels"]) or {},
        repo_digests=_json(row["repo_digests"]),
        platform=row["platform"],
    )


def rules_of(exclusions: list[Exclusion]) -> list[Rule]:
    return [Rule(e.image, e.tag) for e in exclusions]


def pinned_at(pin: Pin | None) -> PinnedAt | None:
    return None if pin is None else PinnedAt(pin.tag, pin.digest)


def client_for(hub: Hub) -> RegistryClient:
    settings = hub.settings
    return RegistryClient(
        parse_credentials(settings.registry_auth),
        timeout=settings.registry_timeout_seconds,
        concurrency=settings.registry_concurrency,
        page_size=settings.registry_tags_page_size,
        insecure_hosts=frozenset(settings.registry_insecure_hosts),
        clock=hub.clock,
    )


def _values(chosen: Plan, found: Finding, scan_id: str | None, now: int) -> dict[str, Any]:
    target, ref = chosen.target, chosen.ref
    source, changelog = source_links(target, found.latest_tag)
    return {
        "container_id": target.container_id,
        "agent_id": target.agent_id,
        "name": target.name,
        "image": target.image,
        "registry": None if ref is None else ref.registry,
        "repository": None if ref is None else ref.repository,
        "tag": None if ref is None else ref.tag,
        "platform": target.platform,
        "current_digest": found.current_digest,
        "status": found.status,
        "update_type": found.update_type,
        "latest_tag": found.latest_tag,
        "latest_digest": found.latest_digest,
        "source_url": source,
        "changelog_url": changelog,
        "error": found.error,
        "checked_at": now,
        "scan_id": scan_id,
    }


def _unchecked(chosen: Plan) -> Finding:
    """The finding of a container the plan does not check."""
    ref, target = chosen.ref, chosen.target
    current = None
    if ref is not None:
        running = digests_of(target.repo_digests or [], ref)
        current = min(running) if running else (ref.digest if ref.digest else None)
    assert chosen.status is not None
    error = chosen.reason if chosen.status in ("error", "unsupported") else None
    return Finding(chosen.status, current_digest=current, error=error)


# A verdict's update fields when it is not checked any more (pinned, excluded)
_CLEARED: dict[str, Any] = {
    "update_type": None,
    "latest_tag": None,
    "latest_digest": None,
    "error": None,
    "detected_at": None,
    "raised": False,
}


def _covers(rule: Rule, image: str) -> bool:
    try:
        ref: ImageRef | None = parse(image)
    except BadReference:
        ref = None
    return rule.matches(ref, image)


def _update_key(update_type: str | None, latest_tag: str | None, latest_digest: str | None) -> str | None:
    if update_type is None:
        return None
    return f"digest:{latest_digest}" if update_type == "digest" else f"tag:{latest_tag}"


def settle(previous: Verdict | None, values: dict[str, Any], now: int) -> tuple[dict[str, Any], list[Event]]:
    """The verdict to store and the events of the change from `previous`: a new update is
    detected once; an update that was out and no longer waits is resolved; a registry error
    keeps the update that was known (and its alert)."""
    values = dict(values)
    events: list[Event] = []
    raised_before = previous is not None and previous.raised
    common = {
        "container_id": values["container_id"],
        "agent_id": values["agent_id"],
        "name": values["name"],
        "image": values["image"],
        "at_ms": now,
    }
    status = values["status"]
    if status == "error" and previous is not None and previous.update_type is not None:
        values.update(
            update_type=previous.update_type,
            latest_tag=previous.latest_tag,
            latest_digest=previous.latest_digest,
            detected_at=previous.detected_at,
            raised=previous.raised,
        )
        return values, events
    if status == "available":
        key = _update_key(values["update_type"], values["latest_tag"], values["latest_digest"])
        known = (
            None if previous is None else _update_key(previous.update_type, previous.latest_tag, previous.latest_digest)
        )
        if raised_before and key == known:
            values.update(detected_at=previous.detected_at if previous else now, raised=True)
            return values, events
        values.update(detected_at=now, raised=True)
        events.append(
            UpdateDetected(
                **common,
                update_type=values["update_type"],
                current_tag=values["tag"],
                latest_tag=values["latest_tag"],
                current_digest=values["current_digest"],
                latest_digest=values["latest_digest"],
                source_url=values["source_url"],
            )
        )
        return values, events
    values.update(detected_at=None, raised=False)
    if raised_before and status != "error":
        events.append(UpdateResolved(**common, reason=_RESOLVED_BY.get(status, status)))
    return values, events


class UpdateService:
    def __init__(self, hub: Hub, client_factory: Callable[[Hub], RegistryClient] = client_for) -> None:
        self.hub = hub
        self._client_factory = client_factory

    # Reads

    async def verdicts(self, *, status: str | None = None, update_type: str | None = None) -> list[Verdict]:
        async with self.hub.store.read() as conn:
            return await repo.verdicts(conn, status=status, update_type=update_type)

    async def summary(self) -> dict[str, Any]:
        async with self.hub.store.read() as conn:
            counted = await repo.counts(conn)
            last = await repo.latest_scan(conn)
        by_status: Counter[str] = Counter()
        by_type: Counter[str] = Counter({"major": 0, "minor": 0, "patch": 0, "digest": 0})
        by_agent: Counter[str] = Counter()
        for status, update_type, agent_id, n in counted:
            by_status[status] += n
            if status == "available" and update_type is not None:
                by_type[update_type] += n
                by_agent[agent_id] += n
        return {
            "total": sum(by_status.values()),
            "available": by_status["available"],
            "by_status": dict(by_status),
            "by_type": dict(by_type),
            "by_agent": dict(by_agent),
            "last_scan": last,
        }

    async def scan(self, scan_id: str) -> Scan:
        async with self.hub.store.read() as conn:
            found = await repo.scan_by_id(conn, scan_id)
        if found is None:
            raise not_found("Scan", scan_id)
        return found

    async def plans(self) -> list[Plan]:
        """What a scan would do now, container by container (no network)."""
        rows = await ContainerService(self.hub).list_containers()
        async with self.hub.store.read() as conn:
            pins = await repo.pins(conn)
            rules = rules_of(await repo.exclusions(conn))
        return [plan(target_of(row), pinned_at(pins.get(row["public_id"])), rules) for row in rows]

    async def container(self, container_id: str) -> tuple[RowMapping, Verdict | None, Pin | None]:
        row = await ContainerService(self.hub).get(container_id)
        async with self.hub.store.read() as conn:
            return row, await repo.verdict_of(conn, container_id), await repo.pin_of(conn, container_id)

    async def exclusions(self) -> list[Exclusion]:
        async with self.hub.store.read() as conn:
            return await repo.exclusions(conn)

    # Scans

    async def start_scan(self, trigger: str = "manual") -> tuple[Scan, bool]:
        """Queue a scan; while one is queued or running that one is returned instead
        (second value False)."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[Scan, bool]:
            active = await repo.active_scan(conn)
            if active is not None and not (active.status == "running" and self._stale(active, now)):
                return active, False
            values = {
                "id": new_id("scan"),
                "trigger": trigger,
                "status": "queued",
                "total": 0,
                "checked": 0,
                "found": 0,
                "errors": 0,
                "created_at": now,
            }
            return await repo.insert_scan(conn, values), True

        scan, created = await self.hub.store.write(unit)
        if created:
            self.hub.local(ScanWake).event.set()
        return scan, created

    @staticmethod
    def _stale(scan: Scan, now: int) -> bool:
        return (scan.heartbeat_at or 0) < now - STALE_SCAN_MS

    async def run_queued(self) -> bool:
        """Claim a queued scan (or one a vanished replica left running) and run it; True
        when one ran."""
        now = self.hub.clock.now_ms()
        async with self.hub.store.read() as conn:
            candidates = await repo.claimable_scans(conn, now - STALE_SCAN_MS)
        for candidate in candidates:

            async def unit(conn: AsyncConnection, scan_id: str = candidate.id) -> Scan | None:
                return await repo.claim_scan(conn, scan_id, now, now - STALE_SCAN_MS)

            claimed = await self.hub.store.write(unit)
            if claimed is not None:
                await self.run(claimed)
                return True
        return False

    async def _write(self, unit: Callable[[AsyncConnection], Any]) -> list[Event]:
        events: list[Event] = await self.hub.store.write(unit)
        if events:
            await self.hub.bus.publish(*events)
        return events

    async def run(self, scan: Scan) -> None:
        """Run a claimed scan to its end; a failure marks it failed (and says why)."""
        try:
            await self._run(scan)
        except Exception as exc:
            log.exception("image update scan %s failed", scan.id)
            now = self.hub.clock.now_ms()
            message = f"{exc.__class__.__name__}: {exc}"

            async def failed(conn: AsyncConnection) -> list[Event]:
                done = await repo.update_scan(
                    conn, scan.id, {"status": "failed", "error": message[:2000], "finished_at": now}
                )
                if done is None:
                    return []
                event = UpdateScanCompleted(
                    scan_id=scan.id,
                    trigger=scan.trigger,
                    status="failed",
                    checked=done.checked,
                    found=done.found,
                    errors=done.errors,
                    error=message[:500],
                    at_ms=now,
                )
                return await append(conn, [event])

            await self._write(failed)

    async def _run(self, scan: Scan) -> None:
        plans = await self.plans()
        total = len(plans)
        started = self.hub.clock.now_ms()

        async def begin(conn: AsyncConnection) -> list[Event]:
            await repo.update_scan(conn, scan.id, {"total": total, "heartbeat_at": started})
            return await append(
                conn, [UpdateScanStarted(scan_id=scan.id, trigger=scan.trigger, total=total, at_ms=started)]
            )

        await self._write(begin)
        findings: dict[str, Finding] = {}
        progress = {"checked": 0, "written_at": started}
        gate = asyncio.Semaphore(self.hub.settings.updates_scan_concurrency)

        async with contextlib.AsyncExitStack() as stack:
            client = self._client_factory(self.hub)
            stack.push_async_callback(client.aclose)
            lookups = Lookups(client)

            async def one(chosen: Plan) -> None:
                if chosen.checked:
                    async with gate:
                        findings[chosen.target.container_id] = await check(chosen, lookups)
                else:
                    findings[chosen.target.container_id] = _unchecked(chosen)
                progress["checked"] += 1
                now = self.hub.clock.now_ms()
                if now - progress["written_at"] >= PROGRESS_EVERY_MS:
                    progress["written_at"] = now
                    checked = progress["checked"]

                    async def note(conn: AsyncConnection) -> None:
                        await repo.update_scan(conn, scan.id, {"checked": checked, "heartbeat_at": now})

                    await self.hub.store.write(note)

            await asyncio.gather(*(one(chosen) for chosen in plans))
        await self._finish(scan, plans, findings)

    async def _finish(self, scan: Scan, plans: list[Plan], findings: dict[str, Finding]) -> None:
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> list[Event]:
            previous = await repo.verdicts_by_id(conn)
            events: list[Event] = []
            found = errors = 0
            for chosen in plans:
                container_id = chosen.target.container_id
                before = previous.pop(container_id, None)
                values, changed = settle(before, _values(chosen, findings[container_id], scan.id, now), now)
                await repo.save_verdict(conn, values, exists=before is not None)
                events.extend(changed)
                found += values["status"] == "available"
                errors += values["status"] == "error"
            for gone in previous.values():
                # No longer in the inventory: its verdict goes, and its update with it.
                await repo.delete_verdict(conn, gone.container_id)
                if gone.raised:
                    events.append(
                        UpdateResolved(
                            container_id=gone.container_id,
                            agent_id=gone.agent_id,
                            name=gone.name,
                            image=gone.image,
                            reason="removed",
                            at_ms=now,
                        )
                    )
            await repo.update_scan(
                conn,
                scan.id,
                {
                    "status": "completed",
                    "checked": len(plans),
                    "found": found,
                    "errors": errors,
                    "finished_at": now,
                    "heartbeat_at": now,
                },
            )
            events.append(
                UpdateScanCompleted(
                    scan_id=scan.id,
                    trigger=scan.trigger,
                    status="completed",
                    checked=len(plans),
                    found=found,
                    errors=errors,
                    at_ms=now,
                )
            )
            await repo.prune_scans(conn, SCANS_KEPT)
            return await append(conn, events)

        await self._write(unit)

    # Pins

    async def pin(self, container_id: str) -> Pin:
        """Pin the version the container runs now: no update is looked for or told until it
        is unpinned; a waiting update's alert resolves. Pinning again returns the pin."""
        target = target_of(await ContainerService(self.hub).get(container_id))
        ref = plan(target, None, []).ref
        current = _unchecked(Plan(target, ref, None, "pinned")).current_digest
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[Pin, list[Event]]:
            existing = await repo.pin_of(conn, container_id)
            if existing is not None:
                return existing, []
            values = {"container_id": container_id, "image": target.image, "created_at": now}
            pin = await repo.insert_pin(conn, {**values, "tag": None if ref is None else ref.tag, "digest": current})
            if await repo.verdict_of(conn, container_id) is not None:
                await repo.set_verdict(conn, container_id, {**_CLEARED, "status": "pinned"})
            event = UpdatePinned(
                container_id=container_id,
                agent_id=target.agent_id,
                name=target.name,
                image=target.image,
                tag=pin.tag,
                digest=pin.digest,
                at_ms=now,
            )
            return pin, await append(conn, [event])

        pin, events = await self.hub.store.write(unit)
        if events:
            await self.hub.bus.publish(*events)
        return pin

    async def unpin(self, container_id: str) -> None:
        """Remove the pin; the next scan checks the container again (until then it has no verdict)."""
        row = await ContainerService(self.hub).get(container_id)
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> list[Event]:
            if not await repo.delete_pin(conn, container_id):
                raise not_found("Pin of container", container_id)
            verdict = await repo.verdict_of(conn, container_id)
            if verdict is not None and verdict.status == "pinned":
                await repo.delete_verdict(conn, container_id)
            event = UpdateUnpinned(
                container_id=container_id,
                agent_id=row["agent_id"],
                name=row["name"],
                image=row["image"] or "",
                at_ms=now,
            )
            return await append(conn, [event])

        await self._write(unit)

    # Exclusions

    async def create_exclusion(self, image: str, tag: str | None, reason: str | None) -> Exclusion:
        """A new exclusion; the containers it covers are excluded at once (their waiting
        updates resolve)."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[Exclusion, list[Event]]:
            if await repo.exclusion_by_pattern(conn, image, tag) is not None:
                raise conflict(f"an exclusion of {image}{':' + tag if tag else ''} exists already", "image")
            created, events = await add_exclusion(conn, image, tag, reason, now)
            return created, await append(conn, events)

        created, events = await self.hub.store.write(unit)
        if events:
            await self.hub.bus.publish(*events)
        return created

    async def delete_exclusion(self, exclusion_id: str) -> None:
        """Delete it; the containers no other exclusion covers have no verdict until the next scan."""

        async def unit(conn: AsyncConnection) -> None:
            if not await remove_exclusion(conn, exclusion_id):
                raise not_found("Exclusion", exclusion_id)

        await self.hub.store.write(unit)


# Exclusions inside the caller's unit (the API's, and configuration import's)


async def add_exclusion(
    conn: AsyncConnection, image: str, tag: str | None, reason: str | None, now: int
) -> tuple[Exclusion, list[Event]]:
    """Store the exclusion and exclude the stored verdicts it covers; returns the events to log."""
    rule = Rule(image, tag)
    values = {"id": new_id("exc"), "image": image, "tag": tag, "reason": reason, "created_at": now}
    created = await repo.insert_exclusion(conn, values)
    events: list[Event] = []
    for verdict in await repo.verdicts(conn):
        if verdict.status == "excluded" or not _covers(rule, verdict.image):
            continue
        await repo.set_verdict(conn, verdict.container_id, {**_CLEARED, "status": "excluded"})
        if verdict.raised:
            events.append(
                UpdateResolved(
                    container_id=verdict.container_id,
                    agent_id=verdict.agent_id,
                    name=verdict.name,
                    image=verdict.image,
                    reason="excluded",
                    at_ms=now,
                )
            )
    return created, events


async def remove_exclusion(conn: AsyncConnection, exclusion_id: str) -> bool:
    """Delete it; the verdicts no exclusion covers any more go until the next scan. False
    when there was none."""
    if not await repo.delete_exclusion(conn, exclusion_id):
        return False
    rules = rules_of(await repo.exclusions(conn))
    for verdict in await repo.verdicts(conn, status="excluded"):
        if not any(_covers(rule, verdict.image) for rule in rules):
            await repo.delete_verdict(conn, verdict.container_id)
    return True
