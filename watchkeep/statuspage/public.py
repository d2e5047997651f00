"""What the public page shows, built once for the HTML page, its JSON, feeds and badges:
only components, their public names and statuses, incidents and maintenance. Nothing of a
monitor (its name, error, host, labels or URL) is ever put in it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from watchkeep.alerts.maintenance import occurrence
from watchkeep.alerts.silences import MaintenanceService
from watchkeep.core.clock import rfc3339
from watchkeep.core.hub import Hub
from watchkeep.core.matchers import matches
from watchkeep.statuspage import repository as repo
from watchkeep.statuspage.cache import PublicCache
from watchkeep.statuspage.monitors import kinds_of, linked, monitor_states
from watchkeep.statuspage.repository import Incident, PageSettings
from watchkeep.statuspage.status import DAY_MS, LABELS, OVERALL_LABELS, UptimeDay, daily_uptime, overall, uptime_over

UPTIME_DAYS = 90
PAST_INCIDENT_DAYS = 14
MAINTENANCE_AHEAD_DAYS = 14


@dataclass(frozen=True)
class PublicComponent:
    id: str
    slug: str
    name: str
    description: str
    status: str
    days: list[UptimeDay]
    uptime_percent: float | None

    @property
    def label(self) -> str:
        return LABELS[self.status]


@dataclass(frozen=True)
class PublicGroup:
    name: str
    description: str
    components: list[PublicComponent]

    @property
    def status(self) -> str:
        return overall(c.status for c in self.components)


@dataclass(frozen=True)
class PublicMaintenance:
    id: str
    name: str
    starts_at: int
    ends_at: int
    active: bool
    components: list[str]  # component names


@dataclass(frozen=True)
class PublicView:
    settings: PageSettings
    status: str
    groups: list[PublicGroup]
    ungrouped: list[PublicComponent]
    incidents: list[Incident]  # unresolved, newest first
    past_incidents: list[Incident]
    maintenance: list[PublicMaintenance]
    component_names: dict[str, str]
    generated_at: int

    @property
    def label(self) -> str:
        return OVERALL_LABELS[self.status]

    def components(self) -> list[PublicComponent]:
        return [c for g in self.groups for c in g.components] + self.ungrouped

    def component(self, slug: str) -> PublicComponent | None:
        return next((c for c in self.components() if c.slug == slug), None)


async def public_view(hub: Hub) -> PublicView:
    cache = hub.local(PublicCache)
    found = cache.get()
    if isinstance(found, PublicView):
        return found
    view = await build(hub)
    cache.put(view)
    return view


async def build(hub: Hub) -> PublicView:
    now = hub.clock.now_ms()
    since = now - UPTIME_DAYS * DAY_MS
    async with hub.store.read() as conn:
        settings = await repo.page_settings(conn)
        groups = await repo.list_groups(conn)
        components = await repo.list_components(conn)
        history = await repo.transitions_since(conn, since)
        incidents = await repo.list_incidents(conn, since_ms=now - PAST_INCIDENT_DAYS * DAY_MS, limit=100)
    public: dict[str, PublicComponent] = {}
    for component in components:
        days = daily_uptime(component.created_at, history.get(component.id, []), now, UPTIME_DAYS)
        public[component.id] = PublicComponent(
            id=component.id,
            slug=component.slug,
            name=component.name,
            description=component.description,
            status=component.status,
            days=days,
            uptime_percent=uptime_over(days),
        )
    public_groups = [
        PublicGroup(group.name, group.description, [public[c.id] for c in components if c.group_id == group.id])
        for group in groups
    ]
    names = {c.id: c.name for c in components}
    return PublicView(
        settings=settings,
        status=overall(c.status for c in components),
        groups=[g for g in public_groups if g.components],
        ungrouped=[public[c.id] for c in components if c.group_id is None],
        incidents=[i for i in incidents if i.resolved_at is None],
        past_incidents=[i for i in incidents if i.resolved_at is not None],
        maintenance=await _maintenance(hub, components, now),
        component_names=names,
        generated_at=now,
    )


async def _maintenance(hub: Hub, components: list[repo.Component], now: int) -> list[PublicMaintenance]:
    """Windows open now or opening within the next days that cover a linked monitor."""
    windows = await MaintenanceService(hub).all()
    if not windows or not components:
        return []
    kinds: set[str] = set()
    for component in components:
        kinds |= kinds_of(component.monitors, component.matches)
    states = await monitor_states(hub, kinds) if kinds else []
    links = {c.id: linked(c.monitors, c.matches, states) for c in components}
    found = []
    for window in windows:
        when = occurrence(window, now)
        if when is None or when[0] > now + MAINTENANCE_AHEAD_DAYS * DAY_MS:
            continue
        matchers = json.loads(window["matchers"])
        covered = [c.name for c in components if any(matches(matchers, s.alert_facts()) for s in links[c.id])]
        if covered:
            found.append(PublicMaintenance(window["id"], window["name"], when[0], when[1], when[0] <= now, covered))
    return sorted(found, key=lambda m: (m.starts_at, m.name))


def _incident_json(incident: Incident, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": incident.id,
        "title": incident.title,
        "impact": incident.impact,
        "status": incident.status,
        "createdAt": rfc3339(incident.created_at),
        "resolvedAt": rfc3339(incident.resolved_at),
        "components": [names[cid] for cid in incident.component_ids if cid in names],
        "updates": [
            {"id": u.id, "status": u.status, "message": u.message, "createdAt": rfc3339(u.created_at)}
            for u in incident.updates
        ],
    }


def _component_json(component: PublicComponent) -> dict[str, Any]:
    return {
        "id": component.id,
        "slug": component.slug,
        "name": component.name,
        "description": component.description,
        "status": component.status,
        "uptimePercent": component.uptime_percent,
        "uptime": [
            {"date": day.date, "uptimePercent": day.uptime_percent, "worst": day.worst} for day in component.days
        ],
    }


def as_json(view: PublicView) -> dict[str, Any]:
    """`GET /status/api`."""
    return {
        "page": {
            "title": view.settings.title,
            "description": view.settings.description,
            "logoUrl": view.settings.logo_url or None,
            "footer": view.settings.footer,
        },
        "status": {"indicator": view.status, "description": view.label},
        "groups": [
            {
                "name": group.name,
                "description": group.description,
                "status": group.status,
                "components": [_component_json(c) for c in group.components],
            }
            for group in view.groups
        ],
        "components": [_component_json(c) for c in view.ungrouped],
        "incidents": [_incident_json(i, view.component_names) for i in view.incidents],
        "pastIncidents": [_incident_json(i, view.component_names) for i in view.past_incidents],
        "maintenance": [
            {
                "id": m.id,
                "name": m.name,
                "startsAt": rfc3339(m.starts_at),
                "endsAt": rfc3339(m.ends_at),
                "active": m.active,
                "components": m.components,
            }
            for m in view.maintenance
        ],
        "updatedAt": rfc3339(view.generated_at),
    }
