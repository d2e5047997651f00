"""`agents`: each agent's configuration (its checks, metric groups and push interval), as
PUT /api/v1/agents/{id}/config sets it, matched by the agent's name. Agents register
themselves: import never creates or deletes one, and an agent the hub does not know is
skipped with a warning (so a file moves to a hub whose agents have not registered yet)."""

from __future__ import annotations

import json
from typing import ClassVar

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.agents import repository as repo
from watchkeep.agents.schemas import AgentConfigUpdate, config_update_decoder, decoded
from watchkeep.agents.service import config_values
from watchkeep.configfile.section import Item, Section, Stored
from watchkeep.core.errors import validation_error
from watchkeep.core.events import Event


class AgentsSection(Section):
    key = "agents"
    creates: ClassVar[bool] = False
    prunes: ClassVar[bool] = False

    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        found = []
        for row in await repo.list_agents(conn):
            config = json.loads(row["config"]) if row["config"] else {}
            fields = {"pushIntervalSeconds": int(row["push_interval_seconds"]), **config}
            found.append(Stored(row["id"], self._canonical(row["name"], fields)))
        return found

    @staticmethod
    def _canonical(name: str, fields: Item) -> Item:
        body = decoded(config_update_decoder, msgspec.json.encode(fields))
        return {"name": name, **msgspec.to_builtins(body)}

    async def checked(self, raw: Item) -> Item:
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise validation_error("name: the agent's name is required", "name")
        return self._canonical(name, {key: value for key, value in raw.items() if key != "name"})

    def merged(self, stored: Item, item: Item) -> Item:
        if item.get("pushIntervalSeconds") is None:
            return {**item, "pushIntervalSeconds": stored["pushIntervalSeconds"]}
        return item

    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]:
        body = msgspec.convert({k: v for k, v in item.items() if k != "name"}, AgentConfigUpdate)
        await repo.update_agent(conn, stored.id, config_values(body, self.hub.clock.now_ms()))
        return []
