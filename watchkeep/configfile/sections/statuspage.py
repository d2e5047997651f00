"""`statusGroups`, `statusComponents` and `statusPage`: the public status page's groups, its
components (a component names its group by the group's name) and the page's own words."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.configfile.section import Item, Section, Stored
from watchkeep.core.errors import validation_error
from watchkeep.core.events import Event
from watchkeep.core.ids import new_id
from watchkeep.statuspage import repository as repo
from watchkeep.statuspage.schemas import ComponentWrite, GroupWrite, PageSettingsWrite
from watchkeep.statuspage.service import StatusPageService, insert_component, settings_values

PAGE = "public"


class StatusGroupsSection(Section):
    key = "statusGroups"

    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        return [
            Stored(g.id, await self.checked({"name": g.name, "description": g.description, "position": g.position}))
            for g in await repo.list_groups(conn)
        ]

    async def checked(self, raw: Item) -> Item:
        body = GroupWrite.model_validate(raw)
        return {"name": body.name, "description": body.description, "position": body.position or 0}

    async def create(self, conn: AsyncConnection, item: Item) -> list[Event]:
        now = self.hub.clock.now_ms()
        row = {**item, "id": new_id("sg"), "created_at": now, "updated_at": now}
        await repo.insert_group(conn, row)
        return []

    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]:
        await repo.update_group(conn, stored.id, {**item, "updated_at": self.hub.clock.now_ms()})
        return []

    async def delete(self, conn: AsyncConnection, stored: Stored) -> list[Event]:
        await repo.delete_group(conn, stored.id)
        return []


class ComponentItem(ComponentWrite):
    group: str | None = Field(None, min_length=1, max_length=100)


class StatusComponentsSection(Section):
    key = "statusComponents"

    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        groups = {g.id: g.name for g in await repo.list_groups(conn)}
        found = []
        for c in await repo.list_components(conn):
            fields = {
                "name": c.name,
                "slug": c.slug,
                "description": c.description,
                "group": groups.get(c.group_id or ""),
                "position": c.position,
                "monitors": c.monitors,
                "matches": c.matches,
                "overrideStatus": c.override_status,
                "autoIncident": c.auto_incident,
            }
            found.append(Stored(c.id, await self.checked(fields)))
        return found

    async def checked(self, raw: Item) -> Item:
        if "groupId" in raw:
            raise validation_error("name the group by its name: group", "groupId")
        body = ComponentItem.model_validate(raw)
        fields = body.fields()
        return {
            "name": fields["name"],
            "slug": fields["slug"],
            "description": fields["description"],
            "group": body.group,
            "position": body.position or 0,
            "monitors": fields["monitors"],
            "matches": fields["matches"],
            "overrideStatus": fields["override_status"],
            "autoIncident": fields["auto_incident"],
        }

    async def _fields(self, conn: AsyncConnection, item: Item) -> dict[str, Any]:
        group_id = None
        if item["group"] is not None:
            group = await repo.group_by_name(conn, item["group"])
            if group is None:
                raise validation_error(f"no status group named {item['group']!r}", "group")
            group_id = group.id
        return {
            "name": item["name"],
            "slug": item["slug"],
            "description": item["description"],
            "group_id": group_id,
            "monitors": item["monitors"],
            "matches": item["matches"],
            "override_status": item["overrideStatus"],
            "auto_incident": item["autoIncident"],
        }

    async def create(self, conn: AsyncConnection, item: Item) -> list[Event]:
        # Operational until the refresh after the commit derives it from the monitors.
        status = item["overrideStatus"] or "operational"
        await insert_component(conn, await self._fields(conn, item), status, item["position"], self.hub.clock.now_ms())
        return []

    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]:
        values = {**await self._fields(conn, item), "position": item["position"], "updated_at": self.hub.clock.now_ms()}
        await repo.update_component(conn, stored.id, values)
        return []

    async def delete(self, conn: AsyncConnection, stored: Stored) -> list[Event]:
        await repo.delete_component(conn, stored.id)
        return []

    async def committed(self) -> None:
        await StatusPageService(self.hub).refresh()


class StatusPageSection(Section):
    """One item, `page: public`: the page always exists, so import only updates it."""

    key = "statusPage"
    name_field = "page"
    creates: ClassVar[bool] = False
    prunes: ClassVar[bool] = False

    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        settings = await repo.page_settings(conn)
        fields = {
            "page": PAGE,
            "title": settings.title,
            "description": settings.description,
            "logoUrl": settings.logo_url,
            "footer": settings.footer,
        }
        return [Stored(PAGE, await self.checked(fields))]

    async def checked(self, raw: Item) -> Item:
        if raw.get("page") != PAGE:
            raise validation_error(f"the status page is named {PAGE!r}", "page")
        body = PageSettingsWrite.model_validate({k: v for k, v in raw.items() if k != "page"})
        return {"page": PAGE, **body.model_dump(by_alias=True, mode="json")}

    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]:
        body = PageSettingsWrite.model_validate({k: v for k, v in item.items() if k != "page"})
        await repo.update_page_settings(conn, settings_values(body, self.hub.clock.now_ms()))
        return []
