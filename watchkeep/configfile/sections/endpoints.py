"""`endpoints`: HTTP, TCP, TLS, DNS and ICMP monitors made by people (or by this file);
endpoints the hub discovers itself are not written out, and never pruned."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.configfile.document import reference
from watchkeep.configfile.section import Item, Secret, Section, Stored
from watchkeep.configfile.sections.secrets import carries_credentials
from watchkeep.core.events import Event
from watchkeep.endpoints import repository as repo
from watchkeep.endpoints import sealing
from watchkeep.endpoints.records import EndpointRecord
from watchkeep.endpoints.schemas import SECTIONS, EndpointWrite
from watchkeep.endpoints.service import create_endpoint, delete_endpoint, replace_endpoint
from watchkeep.probes.headers import is_secret_header


def is_standalone(record: EndpointRecord) -> bool:
    """Whether the file manages this endpoint: not one found by label discovery, which
    follows its container's labels."""
    return record.source != "discovered"


class EndpointsSection(Section):
    key = "endpoints"

    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        found = []
        for record in await repo.list_endpoints(conn):
            if not is_standalone(record):
                continue
            fields: Item = {
                "name": record.name,
                "type": record.type,
                "target": record.target,
                "intervalSeconds": record.interval_seconds,
                "timeoutSeconds": record.timeout_seconds,
                "failureThreshold": record.failure_threshold,
                "recoveryThreshold": record.recovery_threshold,
                # Agent locations are agents' ids: they hold in a hub where those agents are registered.
                "locations": record.location_list,
                "locationRule": record.location_rule,
            }
            if record.type in SECTIONS:
                settings = SECTIONS[record.type].model_validate(sealing.opened(record.config, self.hub.secrets))
                fields[record.type] = settings.model_dump(by_alias=True, mode="json")
            found.append(Stored(record.id, self._canonical(EndpointWrite.model_validate(fields))))
        return found

    @staticmethod
    def _canonical(body: EndpointWrite) -> Item:
        item = body.model_dump(by_alias=True, mode="json")
        return {key: value for key, value in item.items() if key not in SECTIONS or key == body.type}

    async def checked(self, raw: Item) -> Item:
        body = EndpointWrite.model_validate(raw)
        # Refuses masked values, as a new endpoint through the API does.
        sealing.merged(body.type, body.target, body.settings(), None, None)
        return self._canonical(body)

    def secrets(self, item: Item) -> list[Secret]:
        name = item["name"]
        found = []
        if item["type"] == "http" and carries_credentials(item["target"]):
            found.append(Secret(("target",), reference("endpoint", name, "target")))
        headers = (item.get("http") or {}).get("headers") or {}
        for header in sorted(headers):
            if is_secret_header(header) and headers[header]:
                found.append(Secret(("http", "headers", header), reference("endpoint", name, "headers", header)))
        return found

    async def create(self, conn: AsyncConnection, item: Item) -> list[Event]:
        await create_endpoint(conn, self.hub, EndpointWrite.model_validate(item), self.hub.clock.now_ms())
        return []

    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]:
        await replace_endpoint(conn, self.hub, stored.id, EndpointWrite.model_validate(item), self.hub.clock.now_ms())
        return []

    async def delete(self, conn: AsyncConnection, stored: Stored) -> list[Event]:
        return await delete_endpoint(conn, stored.id, self.hub.clock.now_ms())
