"""The status page's groups, components, incidents and settings, and the status of each
component kept up to date from its monitors. No HTTP, no SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.alerts.maintenance import window_active
from watchkeep.alerts.silences import MaintenanceService
from watchkeep.core.errors import not_found, validation_error
from watchkeep.core.events import (
    Event,
    StatusComponentChanged,
    StatusIncidentCreated,
    StatusIncidentEvent,
    StatusIncidentResolved,
    StatusIncidentUpdated,
    StatusMaintenanceEnded,
    StatusMaintenanceStarted,
)
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id
from watchkeep.core.matchers import matches
from watchkeep.statuspage import repository as repo
from watchkeep.statuspage.cache import PublicCache
from watchkeep.statuspage.monitors import KINDS, MonitorState, kinds_of, linked, monitor_states
from watchkeep.statuspage.repository import Component, Group, Incident, PageSettings
from watchkeep.statuspage.schemas import (
    ComponentWrite,
    GroupWrite,
    IncidentCreate,
    IncidentEdit,
    PageSettingsWrite,
    UpdateWrite,
)
from watchkeep.statuspage.status import derive


@dataclass(frozen=True)
class Facts:
    """What every component's status is derived from, read once."""

    states: list[MonitorState]
    # Open maintenance windows: (id, name, matchers as stored)
    open_windows: list[tuple[str, str, dict[str, Any]]]

    def judge(
        self, monitors: list[dict[str, str]], rules: list[dict[str, Any]], override: str | None
    ) -> tuple[str, list[str]]:
        """The status, and the ids of the open windows over the component's monitors."""
        links = linked(monitors, rules, self.states)
        covering = [
            window_id
            for window_id, _, matchers in self.open_windows
            if any(matches(matchers, state.alert_facts()) for state in links)
        ]
        return derive([s.state for s in links], in_maintenance=bool(covering), override=override), covering


async def read_facts(hub: Hub, kinds: set[str] | Sequence[str]) -> Facts:
    now = hub.clock.now_ms()
    states = await monitor_states(hub, kinds) if kinds else []
    windows = [
        (row["id"], row["name"], json.loads(row["matchers"]))
        for row in await MaintenanceService(hub).all()
        if window_active(row, now)
    ]
    return Facts(states, windows)


def incident_event(cls: type[StatusIncidentEvent], incident: Incident, message: str, now: int) -> StatusIncidentEvent:
    return cls(
        at_ms=now,
        incident_id=incident.id,
        title=incident.title,
        impact=incident.impact,
        status=incident.status,
        message=message,
        component_ids=list(incident.component_ids),
    )


async def record_status(conn: AsyncConnection, component: Component, status: str, now: int) -> list[Event]:
    """Move the component to `status` (compare-and-set on what it had): its transition and
    event, or nothing when another replica moved it first."""
    if status == component.status or not await repo.change_status(conn, component.id, component.status, status, now):
        return []
    return [
        StatusComponentChanged(
            at_ms=now,
            component_id=component.id,
            slug=component.slug,
            name=component.name,
            status=status,
            previous=component.status,
        )
    ]


class StatusPageService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store

    async def _write(self, unit: Any) -> Any:
        """Run a unit that returns (result, events); log and publish the events."""

        async def logged(conn: AsyncConnection) -> tuple[Any, list[Event]]:
            result, events = await unit(conn)
            return result, (await append(conn, events) if events else [])

        result, events = await self.store.write(logged)
        self.hub.local(PublicCache).clear()
        if events:
            await self.hub.bus.publish(*events)
        return result

    # Reads

    async def groups(self) -> list[Group]:
        async with self.store.read() as conn:
            return await repo.list_groups(conn)

    async def components(self) -> list[Component]:
        async with self.store.read() as conn:
            return await repo.list_components(conn)

    async def component(self, component_id: str) -> Component:
        async with self.store.read() as conn:
            found = await repo.component_by_id(conn, component_id)
        if found is None:
            raise not_found("status component", component_id)
        return found

    async def incidents(self, since_ms: int | None = None, limit: int = 200) -> list[Incident]:
        async with self.store.read() as conn:
            return await repo.list_incidents(conn, since_ms=since_ms, limit=limit)

    async def incident(self, incident_id: str) -> Incident:
        async with self.store.read() as conn:
            found = await repo.incident_by_id(conn, incident_id)
        if found is None:
            raise not_found("incident", incident_id)
        return found

    async def settings(self) -> PageSettings:
        async with self.store.read() as conn:
            return await repo.page_settings(conn)

    async def linkable(self) -> list[MonitorState]:
        """Every monitor a component may link (for the admin pages)."""
        return await monitor_states(self.hub, KINDS)

    # Groups

    async def create_group(self, body: GroupWrite) -> Group:
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[Group, list[Event]]:
            if await repo.group_by_name(conn, body.name) is not None:
                raise validation_error(f"a group named {body.name!r} exists already", "name")
            position = body.position if body.position is not None else await repo.next_position(conn, "groups")
            row = {
                "id": new_id("sg"),
                "name": body.name,
                "description": body.description,
                "position": position,
                "created_at": now,
                "updated_at": now,
            }
            return await repo.insert_group(conn, row), []

        result: Group = await self._write(unit)
        return result

    async def replace_group(self, group_id: str, body: GroupWrite) -> Group:
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[Group, list[Event]]:
            current = await repo.group_by_id(conn, group_id)
            if current is None:
                raise not_found("status group", group_id)
            other = await repo.group_by_name(conn, body.name)
            if other is not None and other.id != group_id:
                raise validation_error(f"a group named {body.name!r} exists already", "name")
            values = {"name": body.name, "description": body.description, "updated_at": now}
            if body.position is not None:
                values["position"] = body.position
            updated = await repo.update_group(conn, group_id, values)
            assert updated is not None
            return updated, []

        result: Group = await self._write(unit)
        return result

    async def delete_group(self, group_id: str) -> None:
        async def unit(conn: AsyncConnection) -> tuple[None, list[Event]]:
            if not await repo.delete_group(conn, group_id):
                raise not_found("status group", group_id)
            return None, []

        await self._write(unit)

    # Components

    async def _checked(self, body: ComponentWrite) -> tuple[dict[str, Any], Facts]:
        fields = body.fields()
        facts = await read_facts(self.hub, kinds_of(fields["monitors"], fields["matches"]))
        known = {state.key for state in facts.states}
        for index, link in enumerate(fields["monitors"]):
            if (link["type"], link["id"]) not in known:
                raise validation_error(f"no {link['type']} with id {link['id']!r}", f"monitors[{index}].id")
        return fields, facts

    async def _check_unique(self, conn: AsyncConnection, fields: dict[str, Any], component_id: str | None) -> None:
        if fields["group_id"] is not None and await repo.group_by_id(conn, fields["group_id"]) is None:
            raise validation_error(f"no status group with id {fields['group_id']!r}", "groupId")
        for other in await repo.list_components(conn):
            if other.id == component_id:
                continue
            if other.name == fields["name"]:
                raise validation_error(f"a component named {fields['name']!r} exists already", "name")
            if other.slug == fields["slug"]:
                raise validation_error(f"a component with slug {fields['slug']!r} exists already", "slug")

    async def create_component(self, body: ComponentWrite) -> Component:
        fields, facts = await self._checked(body)
        status, _ = facts.judge(fields["monitors"], fields["matches"], fields["override_status"])
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[Component, list[Event]]:
            await self._check_unique(conn, fields, None)
            position = body.position if body.position is not None else await repo.next_position(conn, "components")
            created = await insert_component(conn, fields, status, position, now)
            event = StatusComponentChanged(
                at_ms=now, component_id=created.id, slug=created.slug, name=created.name, status=status
            )
            return created, [event]

        result: Component = await self._write(unit)
        return result

    async def replace_component(self, component_id: str, body: ComponentWrite) -> Component:
        fields, facts = await self._checked(body)
        status, _ = facts.judge(fields["monitors"], fields["matches"], fields["override_status"])
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[Component, list[Event]]:
            current = await repo.component_by_id(conn, component_id)
            if current is None:
                raise not_found("status component", component_id)
            await self._check_unique(conn, fields, component_id)
            values = {**fields, "updated_at": now}
            if body.position is not None:
                values["position"] = body.position
            updated = await repo.update_component(conn, component_id, values)
            assert updated is not None
            events = await record_status(conn, updated, status, now)
            final = await repo.component_by_id(conn, component_id)
            assert final is not None
            return final, events

        result: Component = await self._write(unit)
        return result

    async def delete_component(self, component_id: str) -> None:
        async def unit(conn: AsyncConnection) -> tuple[None, list[Event]]:
            if not await repo.delete_component(conn, component_id):
                raise not_found("status component", component_id)
            return None, []

        await self._write(unit)

    async def arrange(self, order: Sequence[tuple[str, str | None]]) -> None:
        """Put the components in this order, each in its group (None: ungrouped)."""
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[None, list[Event]]:
            known = {c.id for c in await repo.list_components(conn)}
            groups = {g.id for g in await repo.list_groups(conn)}
            for position, (component_id, group_id) in enumerate(order):
                if component_id not in known:
                    raise validation_error(f"no status component with id {component_id!r}", "order")
                if group_id is not None and group_id not in groups:
                    raise validation_error(f"no status group with id {group_id!r}", "order")
                values = {"position": position, "group_id": group_id, "updated_at": now}
                await repo.update_component(conn, component_id, values)
            return None, []

        await self._write(unit)

    async def move(self, component_id: str, offset: int) -> None:
        """One place up (-1) or down (+1) among the components of its group."""
        components = await self.components()
        current = next((c for c in components if c.id == component_id), None)
        if current is None:
            raise not_found("status component", component_id)
        groups = {g.id: index for index, g in enumerate(await self.groups())}
        ordered = sorted(
            components, key=lambda c: (c.group_id is None, groups.get(c.group_id or "", 0), c.position, c.name)
        )
        siblings = [c for c in ordered if c.group_id == current.group_id]
        index = siblings.index(current)
        target = index + offset
        if 0 <= target < len(siblings):
            siblings[index], siblings[target] = siblings[target], siblings[index]
        rest = [c for c in ordered if c.group_id != current.group_id]
        await self.arrange([(c.id, c.group_id) for c in rest + siblings])

    # Incidents

    async def _check_components(self, conn: AsyncConnection, component_ids: Sequence[str]) -> None:
        known = {c.id for c in await repo.list_components(conn)}
        for index, component_id in enumerate(component_ids):
            if component_id not in known:
                raise validation_error(f"no status component with id {component_id!r}", f"componentIds[{index}]")

    async def create_incident(self, body: IncidentCreate) -> Incident:
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[Incident, list[Event]]:
            await self._check_components(conn, body.component_ids)
            incident = await open_incident(
                conn, body.title, body.impact, body.status, body.message, body.component_ids, now, None
            )
            cls = StatusIncidentResolved if body.status == "resolved" else StatusIncidentCreated
            return incident, [incident_event(cls, incident, body.message, now)]

        result: Incident = await self._write(unit)
        return result

    async def edit_incident(self, incident_id: str, body: IncidentEdit) -> Incident:
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[Incident, list[Event]]:
            await self._check_components(conn, body.component_ids)
            values = {"title": body.title, "impact": body.impact, "updated_at": now}
            if not await repo.update_incident(conn, incident_id, values):
                raise not_found("incident", incident_id)
            await repo.set_incident_components(conn, incident_id, body.component_ids)
            incident = await repo.incident_by_id(conn, incident_id)
            assert incident is not None
            return incident, [incident_event(StatusIncidentUpdated, incident, "", now)]

        result: Incident = await self._write(unit)
        return result

    async def post_update(self, incident_id: str, body: UpdateWrite) -> Incident:
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[Incident, list[Event]]:
            if await repo.incident_by_id(conn, incident_id) is None:
                raise not_found("incident", incident_id)
            incident = await add_update(conn, incident_id, body.status, body.message, now)
            cls = StatusIncidentResolved if body.status == "resolved" else StatusIncidentUpdated
            return incident, [incident_event(cls, incident, body.message, now)]

        result: Incident = await self._write(unit)
        return result

    async def delete_incident(self, incident_id: str) -> None:
        async def unit(conn: AsyncConnection) -> tuple[None, list[Event]]:
            if not await repo.delete_incident(conn, incident_id):
                raise not_found("incident", incident_id)
            return None, []

        await self._write(unit)

    # Settings

    async def replace_settings(self, body: PageSettingsWrite) -> PageSettings:
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[PageSettings, list[Event]]:
            await repo.update_page_settings(conn, settings_values(body, now))
            return await repo.page_settings(conn), []

        result: PageSettings = await self._write(unit)
        return result

    # Status

    async def refresh(self) -> bool:
        """Bring every component's status in line with its monitors and the maintenance
        windows open now, and announce windows opening and closing over linked monitors.
        Safe on every replica at once: each change is a compare-and-set."""
        async with self.store.read() as conn:
            components = await repo.list_components(conn)
            announced = await repo.open_maintenance(conn)
        if not components and not announced:
            return False
        kinds: set[str] = set()
        for component in components:
            kinds |= kinds_of(component.monitors, component.matches)
        facts = await read_facts(self.hub, kinds)
        names = {window_id: name for window_id, name, _ in facts.open_windows}
        changes: list[tuple[Component, str]] = []
        covered: dict[str, list[str]] = {}
        for component in components:
            status, covering = facts.judge(component.monitors, component.matches, component.override_status)
            for window_id in covering:
                covered.setdefault(window_id, []).append(component.id)
            if status != component.status:
                changes.append((component, status))
        opened = [window_id for window_id in covered if window_id not in announced]
        closed = [window_id for window_id in announced if window_id not in covered]
        if not changes and not opened and not closed:
            return False
        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> tuple[None, list[Event]]:
            events: list[Event] = []
            for component, status in changes:
                events += await record_status(conn, component, status, now)
            for window_id in opened:
                if await repo.mark_maintenance_open(conn, window_id, names[window_id][:100], now):
                    events.append(
                        StatusMaintenanceStarted(
                            at_ms=now, maintenance_id=window_id, name=names[window_id], component_ids=covered[window_id]
                        )
                    )
            for window_id in closed:
                if await repo.mark_maintenance_closed(conn, window_id):
                    events.append(
                        StatusMaintenanceEnded(at_ms=now, maintenance_id=window_id, name=announced[window_id])
                    )
            return None, events

        await self._write(unit)
        return True


def settings_values(body: PageSettingsWrite, now: int) -> dict[str, Any]:
    return {
        "title": body.title,
        "description": body.description,
        "logo_url": body.logo_url,
        "footer": body.footer,
        "updated_at": now,
    }


async def insert_component(
    conn: AsyncConnection, fields: dict[str, Any], status: str, position: int, now: int
) -> Component:
    row = {
        **fields,
        "id": new_id("sc"),
        "position": position,
        "status": status,
        "status_since": now,
        "created_at": now,
        "updated_at": now,
    }
    created = await repo.insert_component(conn, row)
    await repo.add_transition(conn, created.id, now, status)
    return created


async def open_incident(
    conn: AsyncConnection,
    title: str,
    impact: str,
    status: str,
    message: str,
    component_ids: Sequence[str],
    now: int,
    auto_component_id: str | None,
) -> Incident:
    incident_id = new_id("inc")
    row = {
        "id": incident_id,
        "title": title,
        "impact": impact,
        "status": status,
        "auto_component_id": auto_component_id,
        "created_at": now,
        "updated_at": now,
        "resolved_at": now if status == "resolved" else None,
    }
    await repo.insert_incident(conn, row, component_ids)
    return await add_update(conn, incident_id, status, message, now)


async def add_update(conn: AsyncConnection, incident_id: str, status: str, message: str, now: int) -> Incident:
    """A new update on the timeline; the incident takes its status (resolved or reopened).
    Each update is later than the one before, so the timeline keeps its order."""
    before = await repo.incident_by_id(conn, incident_id)
    if before is not None and before.updates:
        now = max(now, before.updates[0].created_at + 1)
    await repo.insert_update(
        conn,
        {"id": new_id("upd"), "incident_id": incident_id, "status": status, "message": message, "created_at": now},
    )
    resolved = now if status == "resolved" else None
    await repo.update_incident(conn, incident_id, {"status": status, "updated_at": now, "resolved_at": resolved})
    incident = await repo.incident_by_id(conn, incident_id)
    assert incident is not None
    return incident
