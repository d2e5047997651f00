"""API models of the status page's groups, components, incidents and settings."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints, field_validator

from watchkeep.core.clock import rfc3339
from watchkeep.core.errors import validation_error
from watchkeep.core.schemas import ApiModel, WriteModel
from watchkeep.statuspage.repository import Component, Group, Incident, IncidentUpdate, PageSettings

ComponentStatus = Literal["operational", "degraded", "partial_outage", "major_outage", "under_maintenance"]
IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved"]
Impact = Literal["none", "minor", "major", "critical"]
MonitorKind = Literal["agent", "heartbeat", "container", "endpoint", "certificate"]
Labels = dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], Annotated[str, Field(max_length=500)]]

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({"overall"})


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")
    return slug or "component"


class GroupWrite(WriteModel):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    position: int | None = Field(None, ge=0, le=100_000)


class GroupOut(ApiModel):
    id: str
    name: str
    description: str
    position: int
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, group: Group) -> GroupOut:
        return cls(
            id=group.id,
            name=group.name,
            description=group.description,
            position=group.position,
            created_at=rfc3339(group.created_at),
            updated_at=rfc3339(group.updated_at),
        )


class MonitorLink(ApiModel):
    type: MonitorKind
    id: str = Field(min_length=1, max_length=128)


class MonitorMatch(ApiModel):
    """Every monitor of `type` whose labels include all of `labels` (a heartbeat's labels
    are its tags: `key=value`, or a bare `key` with an empty value)."""

    type: MonitorKind
    labels: Labels = Field(default_factory=dict)


class ComponentWrite(WriteModel):
    readonly_fields: ClassVar[frozenset[str]] = frozenset({"id", "status", "statusSince", "createdAt", "updatedAt"})

    name: str = Field(min_length=1, max_length=100)
    slug: str | None = Field(None, description="In badge URLs; made from the name when left out.")
    description: str = Field("", max_length=2000)
    group_id: str | None = Field(None, max_length=40)
    position: int | None = Field(None, ge=0, le=100_000)
    monitors: list[MonitorLink] = Field(default_factory=list, max_length=500)
    matches: list[MonitorMatch] = Field(default_factory=list, max_length=20)
    override_status: ComponentStatus | None = None
    auto_incident: bool = False

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not SLUG.match(value):
            raise validation_error("slug: lower-case letters, digits and inner dashes, up to 64", "slug")
        if value in RESERVED_SLUGS:
            raise validation_error(f"slug: {value!r} is taken by the page itself", "slug")
        return value

    def fields(self) -> dict[str, Any]:
        monitors = sorted({(link.type, link.id) for link in self.monitors})
        return {
            "name": self.name,
            "slug": self.slug or slugify(self.name),
            "description": self.description,
            "group_id": self.group_id,
            "monitors": [{"type": kind, "id": ident} for kind, ident in monitors],
            "matches": [match.model_dump(mode="json") for match in self.matches],
            "override_status": self.override_status,
            "auto_incident": self.auto_incident,
        }


class ComponentOut(ApiModel):
    id: str
    name: str
    slug: str
    description: str
    group_id: str | None
    position: int
    monitors: list[MonitorLink]
    matches: list[MonitorMatch]
    override_status: ComponentStatus | None
    auto_incident: bool
    status: ComponentStatus
    status_since: str | None
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, component: Component) -> ComponentOut:
        return cls(
            id=component.id,
            name=component.name,
            slug=component.slug,
            description=component.description,
            group_id=component.group_id,
            position=component.position,
            monitors=[MonitorLink.model_validate(link) for link in component.monitors],
            matches=[MonitorMatch.model_validate(match) for match in component.matches],
            override_status=component.override_status,
            auto_incident=component.auto_incident,
            status=component.status,
            status_since=rfc3339(component.status_since),
            created_at=rfc3339(component.created_at),
            updated_at=rfc3339(component.updated_at),
        )


class IncidentCreate(WriteModel):
    readonly_fields: ClassVar[frozenset[str]] = frozenset(
        {"id", "automatic", "resolvedAt", "updates", "createdAt", "updatedAt"}
    )

    title: str = Field(min_length=1, max_length=200)
    impact: Impact = "minor"
    status: IncidentStatus = "investigating"
    message: str = Field(min_length=1, max_length=10_000, description="The first update's text.")
    component_ids: list[str] = Field(default_factory=list, max_length=200)


class IncidentEdit(WriteModel):
    readonly_fields: ClassVar[frozenset[str]] = frozenset(
        {"id", "status", "automatic", "resolvedAt", "updates", "createdAt", "updatedAt"}
    )

    title: str = Field(min_length=1, max_length=200)
    impact: Impact = "minor"
    component_ids: list[str] = Field(default_factory=list, max_length=200)


class UpdateWrite(WriteModel):
    status: IncidentStatus
    message: str = Field(min_length=1, max_length=10_000)


class UpdateOut(ApiModel):
    id: str
    status: IncidentStatus
    message: str
    created_at: str | None

    @classmethod
    def of(cls, update: IncidentUpdate) -> UpdateOut:
        return cls(
            id=update.id,
            status=update.status,
            message=update.message,
            created_at=rfc3339(update.created_at),
        )


class IncidentOut(ApiModel):
    id: str
    title: str
    impact: Impact
    status: IncidentStatus
    automatic: bool
    component_ids: list[str]
    created_at: str | None
    updated_at: str | None
    resolved_at: str | None
    updates: list[UpdateOut]

    @classmethod
    def of(cls, incident: Incident) -> IncidentOut:
        return cls(
            id=incident.id,
            title=incident.title,
            impact=incident.impact,
            status=incident.status,
            automatic=incident.auto_component_id is not None,
            component_ids=list(incident.component_ids),
            created_at=rfc3339(incident.created_at),
            updated_at=rfc3339(incident.updated_at),
            resolved_at=rfc3339(incident.resolved_at),
            updates=[UpdateOut.of(update) for update in incident.updates],
        )


class PageSettingsWrite(WriteModel):
    readonly_fields: ClassVar[frozenset[str]] = frozenset({"updatedAt"})

    title: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    logo_url: str = Field("", max_length=500)
    footer: str = Field("", max_length=2000)

    @field_validator("logo_url")
    @classmethod
    def _logo(cls, value: str) -> str:
        value = value.strip()
        if value and not (
            value.startswith(("https://", "http://")) or (value.startswith("/") and not value.startswith("//"))
        ):
            raise validation_error("logoUrl: an http(s) URL or a path on this hub", "logoUrl")
        return value


class PageSettingsOut(ApiModel):
    title: str
    description: str
    logo_url: str
    footer: str
    updated_at: str | None

    @classmethod
    def of(cls, settings: PageSettings) -> PageSettingsOut:
        return cls(
            title=settings.title,
            description=settings.description,
            logo_url=settings.logo_url,
            footer=settings.footer,
            updated_at=rfc3339(settings.updated_at) if settings.updated_at else None,
        )
