"""`certificates`: standalone TLS certificate monitors. Their name is what the API shows,
`host:port` (with the server name when it differs), so the file may leave it out; the
monitors that follow an endpoint or an agent come and go with those and are not written."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.certificates import repository as repo
from watchkeep.certificates.schemas import CertificateWrite
from watchkeep.certificates.service import create_standalone, delete_monitor, replace_standalone
from watchkeep.configfile.section import Item, Section, Stored
from watchkeep.core.errors import validation_error
from watchkeep.core.events import Event


def _name(body: CertificateWrite) -> str:
    base = f"{body.host}:{body.port}"
    return base if not body.sni or body.sni == body.host else f"{base} ({body.sni})"


class CertificatesSection(Section):
    key = "certificates"

    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        found = []
        for monitor in await repo.list_monitors(conn):
            if monitor.source != "standalone":
                continue
            fields = {
                "host": monitor.host,
                "port": monitor.port,
                "sni": monitor.sni,
                "intervalSeconds": monitor.interval_seconds,
                "thresholdsDays": monitor.thresholds,
            }
            found.append(Stored(monitor.id, self._canonical(CertificateWrite.model_validate(fields))))
        return found

    @staticmethod
    def _canonical(body: CertificateWrite) -> Item:
        if body.sni == body.host:
            body.sni = None
        return {"name": _name(body), **body.model_dump(by_alias=True, mode="json")}

    async def checked(self, raw: Item) -> Item:
        fields = {key: value for key, value in raw.items() if key != "name"}
        item = self._canonical(CertificateWrite.model_validate(fields))
        if "name" in raw and raw["name"] != item["name"]:
            raise validation_error(f"name: a certificate monitor is named by its target, {item['name']!r}", "name")
        return item

    async def create(self, conn: AsyncConnection, item: Item) -> list[Event]:
        await create_standalone(conn, self._row(item), self.hub.clock.now_ms())
        return []

    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]:
        current = await repo.monitor_by_id(conn, stored.id, lock=True)
        assert current is not None
        await replace_standalone(conn, current, self._row(item), self.hub.clock.now_ms())
        return []

    async def delete(self, conn: AsyncConnection, stored: Stored) -> list[Event]:
        current = await repo.monitor_by_id(conn, stored.id, lock=True)
        assert current is not None
        return await delete_monitor(conn, current, self.hub.clock.now_ms())

    @staticmethod
    def _row(item: Item) -> dict[str, object]:
        return CertificateWrite.model_validate({k: v for k, v in item.items() if k != "name"}).to_row()
