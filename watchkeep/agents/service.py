"""The agent registry: creating, registering, listing, changing and deleting agents, their
credentials and their configuration. No HTTP, no SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.agents import repository as repo
from watchkeep.agents import tokens
from watchkeep.agents.ingest.memory import ingest_memory
from watchkeep.agents.schemas import AgentConfigUpdate, AgentCreate, AgentRegister, AgentUpdate
from watchkeep.agents.status import Status, status_at
from watchkeep.certificates import service as certificates
from watchkeep.containers import logstore
from watchkeep.containers import service as containers
from watchkeep.containers.service import ContainerService
from watchkeep.core.clock import rfc3339
from watchkeep.core.errors import ErrorCode, WatchkeepError, conflict, not_found, unauthorized
from watchkeep.core.events import AgentRegistered, Event
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id
from watchkeep.endpoints import agentchecks as agent_endpoints
from watchkeep.protocol.ingest import AgentConfig, MetricsConfig, ServiceConfig
from watchkeep.resources import service as resources
from watchkeep.resources import thresholds

AGENT_ID_PREFIX = "agent"


@dataclass
class _Caches:
    """Per-hub memory of token lookups and the signing key. A remembered token is only a
    hint: every use checks the agent's current token generation against the database."""

    signing_key: str | None = None
    by_token: dict[str, tokens.AgentCredential] = field(default_factory=dict)

    def remember(self, token_hash: str, credential: tokens.AgentCredential) -> None:
        if len(self.by_token) >= 100_000:
            self.by_token.clear()
        self.by_token[token_hash] = credential


def caches(hub: Hub) -> _Caches:
    return hub.local(_Caches)


def identity(name: str, hostname: str | None) -> str:
    return f"{name}\n{hostname or ''}"


@dataclass(frozen=True)
class CreatedAgent:
    row: RowMapping
    token: str
    agent_key: str


@dataclass(frozen=True)
class Registration:
    agent_id: str
    token: str
    expires_in: int
    push_interval_seconds: int


class AgentService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store
        self.clock = hub.clock
        self.settings = hub.settings

    # status

    def status_of(self, row: RowMapping, now_ms: int | None = None) -> Status:
        return status_at(
            row["last_seen_at"],
            row["push_interval_seconds"],
            self.clock.now_ms() if now_ms is None else now_ms,
            delayed_after=self.settings.agent_delayed_after_intervals,
            offline_after=self.settings.agent_offline_after_intervals,
        )

    def out(self, row: RowMapping, container_count: int = 0) -> dict[str, Any]:
        """The agent object of the API."""
        return {
            "id": row["id"],
            "name": row["name"],
            "type": row["type"],
            "hostname": row["hostname"],
            "platform": row["platform"],
            "os": row["os"],
            "kernel": row["kernel"],
            "version": row["version"],
            "region": row["region"],
            "labels": json.loads(row["labels"]),
            "endpoint": row["endpoint"],
            "platformId": row["platform_id"],
            "pushIntervalSeconds": row["push_interval_seconds"],
            "status": self.status_of(row),
            "lastSeen": rfc3339(row["last_seen_at"]),
            "lastHeartbeatAt": rfc3339(row["last_heartbeat_at"]),
            "createDate": rfc3339(row["created_at"]),
            "lastOpDate": rfc3339(row["updated_at"]),
            "containerCount": container_count,
            "uptimeSeconds": row["uptime_seconds"],
            "serverHealthy": row["server_healthy"],
            "droppedPayloads": int(row["dropped_payloads"]),
            "collectorErrors": json.loads(row["collector_errors"]),
        }

    def heartbeat_out(self, row: RowMapping) -> dict[str, Any]:
        """The agent object of agent-heartbeat.txt, field for field."""
        return {
            "uuid": row["id"],
            "name": row["name"],
            "type": row["type"],
            "version": row["version"],
            "status": self.status_of(row),
            "endpoint": row["endpoint"],
            "platformId": row["platform_id"],
            "region": row["region"],
            "labels": row["labels"],
            "lastHeartbeatAt": rfc3339(row["last_heartbeat_at"]),
            "createDate": rfc3339(row["created_at"]),
            "lastOpDate": rfc3339(row["updated_at"]),
        }

    # the registry

    def _new_row(self, name: str, hostname: str | None, **fields: Any) -> dict[str, Any]:
        now = self.clock.now_ms()
        return {
            "id": new_id(AGENT_ID_PREFIX),
            "name": name,
            "identity": identity(name, hostname),
            "type": "metric",
            "hostname": hostname,
            "labels": "{}",
            "push_interval_seconds": self.settings.agent_push_interval_seconds,
            "status": "offline",
            "status_changed_at": now,
            "created_at": now,
            "updated_at": now,
            "token_generation": 1,
            "dropped_payloads": 0,
            "collector_errors": "{}",
            **fields,
        }

    async def create(self, body: AgentCreate) -> CreatedAgent:
        token, agent_key = tokens.new_token(), tokens.new_agent_key()
        row = self._new_row(
            body.name,
            body.hostname,
            type=body.type,
            platform=body.platform,
            region=body.region,
            labels=json.dumps(body.labels),
            endpoint=body.endpoint,
            platform_id=body.platform_id,
            token_hash=tokens.hash_of(token),
            agent_key_hash=tokens.hash_of(agent_key),
        )

        async def unit(conn: AsyncConnection) -> tuple[RowMapping, list[Event]]:
            if await repo.by_identity(conn, row["identity"]) is not None:
                raise conflict("an agent with this name and hostname exists", "name")
            await repo.insert_agent(conn, row)
            created = await repo.get(conn, row["id"])
            assert created is not None
            registered = AgentRegistered(
                agent_id=created["id"], name=created["name"], hostname=created["hostname"], at_ms=row["created_at"]
            )
            return created, await append(conn, [registered])

        try:
            created, events = await self.store.write(unit)
        except IntegrityError:
            raise conflict("an agent with this name and hostname exists", "name") from None
        await self.hub.bus.publish(*events)
        return CreatedAgent(created, token, agent_key)

    async def register(
        self, body: AgentRegister, proof: tokens.AgentCredential | None, *, trusted: bool = False
    ) -> Registration:
        """The agent of this name and hostname, created on first registration, and a fresh
        signed token for it. An enrolment key only creates agents: registering an existing
        one again takes `proof` that the caller is that agent (a credential it was issued),
        so a key that may enrol cannot take over an agent by sending its name. `trusted`: the
        hub registering its own host, which needs no proof."""
        now = self.clock.now_ms()
        reported = {
            "version": body.version,
            "platform": body.platform,
            "endpoint": body.endpoint,
            "platform_id": body.platform_id,
        }
        fresh = self._new_row(body.name, body.hostname, **reported)

        async def unit(conn: AsyncConnection) -> tuple[RowMapping, list[Event]]:
            existing = await repo.by_identity(conn, fresh["identity"])
            if existing is not None:
                if not trusted:
                    _check_proof(existing, proof)
                changes = {k: v for k, v in reported.items() if v is not None}
                if changes:
                    await repo.update_agent(conn, existing["id"], {**changes, "updated_at": now})
                return existing, []
            await repo.insert_agent(conn, fresh)
            created = await repo.get(conn, fresh["id"])
            assert created is not None
            registered = AgentRegistered(
                agent_id=created["id"], name=created["name"], hostname=created["hostname"], at_ms=now
            )
            return created, await append(conn, [registered])

        try:
            row, events = await self.store.write(unit)
        except IntegrityError:  # registered at the same moment by another request
            row, events = await self.store.write(unit)
        await self.hub.bus.publish(*events)
        ttl = self.settings.agent_token_ttl_seconds
        claims = tokens.SignedClaims(row["id"], int(row["token_generation"]), now + ttl * 1000)
        token = tokens.sign(await self._signing_key(), claims)
        return Registration(row["id"], token, ttl, row["push_interval_seconds"])

    async def get_row(self, agent_id: str) -> RowMapping:
        async with self.store.read() as conn:
            row = await repo.get(conn, agent_id)
        if row is None:
            raise not_found("agent", agent_id)
        return row

    async def get(self, agent_id: str) -> dict[str, Any]:
        row = await self.get_row(agent_id)
        counts = await ContainerService(self.hub).counts_by_agent()
        return self.out(row, counts.get(agent_id, 0))

    async def list_agents(
        self, *, status: str | None, platform: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        async with self.store.read() as conn:
            rows = await repo.list_agents(conn, platform)
        counts = await ContainerService(self.hub).counts_by_agent()
        now = self.clock.now_ms()
        if status is not None:
            rows = [row for row in rows if self.status_of(row, now) == status]
        page = rows[offset:] if limit == 0 else rows[offset : offset + limit]
        return [self.out(row, counts.get(row["id"], 0)) for row in page], len(rows)

    async def overview_facts(self) -> list[tuple[RowMapping, Status]]:
        """Every agent's name, host and last contact, with its status now."""
        async with self.store.read() as conn:
            rows = await repo.overview_facts(conn)
        now = self.clock.now_ms()
        return [(row, self.status_of(row, now)) for row in rows]

    async def update(self, agent_id: str, body: AgentUpdate) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        given = body.model_fields_set
        if "name" in given and body.name is not None:
            changes["name"] = body.name
        if "region" in given:
            changes["region"] = body.region
        if "labels" in given:
            changes["labels"] = json.dumps(body.labels or {})
        if "push_interval_seconds" in given and body.push_interval_seconds is not None:
            changes["push_interval_seconds"] = body.push_interval_seconds
        for name in ("endpoint", "platform_id"):
            if name in given:
                changes[name] = getattr(body, name)
        now = self.clock.now_ms()

        async def unit(conn: AsyncConnection) -> RowMapping:
            row = await repo.get(conn, agent_id)
            if row is None:
                raise not_found("agent", agent_id)
            values = dict(changes, updated_at=now)
            if "name" in changes:
                values["identity"] = identity(changes["name"], row["hostname"])
                other = await repo.by_identity(conn, values["identity"])
                if other is not None and other["id"] != agent_id:
                    raise conflict("an agent with this name and hostname exists", "name")
            await repo.update_agent(conn, agent_id, values)
            updated = await repo.get(conn, agent_id)
            assert updated is not None
            return updated

        await self.store.write(unit)
        return await self.get(agent_id)

    async def rotate(self, agent_id: str) -> CreatedAgent:
        token, agent_key = tokens.new_token(), tokens.new_agent_key()
        now = self.clock.now_ms()

        async def unit(conn: AsyncConnection) -> RowMapping:
            row = await repo.get(conn, agent_id, for_update=True)
            if row is None:
                raise not_found("agent", agent_id)
            await repo.update_agent(
                conn,
                agent_id,
                {
                    "token_hash": tokens.hash_of(token),
                    "agent_key_hash": tokens.hash_of(agent_key),
                    "token_generation": int(row["token_generation"]) + 1,
                    "updated_at": now,
                },
            )
            updated = await repo.get(conn, agent_id)
            assert updated is not None
            return updated

        return CreatedAgent(await self.store.write(unit), token, agent_key)

    async def delete(self, agent_id: str) -> None:
        """The agent and everything stored for it, in one transaction."""

        now = self.hub.clock.now_ms()

        async def unit(conn: AsyncConnection) -> list[Event]:
            if await repo.get(conn, agent_id, for_update=True) is None:
                raise not_found("agent", agent_id)
            recovered = await containers.delete_for_agent(conn, agent_id, now)
            await resources.delete_for_agent(conn, agent_id)
            recovered += await thresholds.delete_for_agent(conn, agent_id, now)
            recovered += await certificates.delete_for_agent(conn, agent_id, now)
            await repo.delete_agent(conn, agent_id)
            return await append(conn, recovered)

        events = await self.store.write(unit)
        if events:
            await self.hub.bus.publish(*events)
        # Only tidiness: a row created again has no stamp, so no memory would match it.
        ingest_memory(self.hub).forget(agent_id)

    # configuration

    def config_of(self, row: RowMapping) -> AgentConfig:
        stored: dict[str, Any] = json.loads(row["config"]) if row["config"] else {}
        services = msgspec.convert(stored.get("services", []), list[ServiceConfig])
        metrics = msgspec.convert(stored.get("metricsConfig", {}), MetricsConfig)
        return AgentConfig(
            server_id=row["id"],
            server_name=row["name"],
            push_interval_seconds=int(row["push_interval_seconds"]),
            services=services,
            metrics_config=metrics,
        )

    async def set_config(self, agent_id: str, body: AgentConfigUpdate) -> AgentConfig:
        values = config_values(body, self.clock.now_ms())

        async def unit(conn: AsyncConnection) -> RowMapping:
            if not await repo.update_agent(conn, agent_id, values):
                raise not_found("agent", agent_id)
            row = await repo.get(conn, agent_id)
            assert row is not None
            return row

        return self.config_of(await self.store.write(unit))

    async def checks(self, agent_id: str) -> list[RowMapping]:
        await self.get_row(agent_id)
        async with self.store.read() as conn:
            return await repo.checks_of(conn, agent_id)

    # credentials

    async def _signing_key(self) -> str:
        configured = self.settings.agent_token_secret
        if configured is not None:
            return configured.get_secret_value()
        cache = caches(self.hub)
        if cache.signing_key is not None:
            return cache.signing_key
        return await self._stored_signing_key()

    async def _stored_signing_key(self) -> str:
        cache = caches(self.hub)
        async with self.store.read() as conn:
            key = await repo.signing_secret(conn)
        if key is None:
            # Sealed (core/crypto.py); the row another replica may have stored first wins.
            candidate = self.hub.secrets.seal(tokens.new_signing_secret())
            now = self.clock.now_ms()

            async def unit(conn: AsyncConnection) -> str | None:
                await repo.add_signing_secret(conn, candidate, now)
                return await repo.signing_secret(conn)

            key = await self.store.write(unit)
            assert key is not None
        cache.signing_key = self.hub.secrets.open(key)
        return cache.signing_key

    async def seal_signing_key(self) -> bool:
        """At start: encrypt a signing key stored in the clear by an older version (tokens it
        signed stay valid), or check that this hub's key opens the stored one. A database
        without one gets one now, even when WATCHKEEP_AGENT_TOKEN_SECRET makes it unused: it
        is what tells replicas started with different keys apart, at start."""
        async with self.store.read() as conn:
            key = await repo.signing_secret(conn)
        if key is None:
            await self._stored_signing_key()
            return False
        sealed = self.hub.secrets.reseal(key)
        if sealed is None:
            return False

        async def unit(conn: AsyncConnection) -> None:
            await repo.seal_signing_secret(conn, key, sealed)

        await self.store.write(unit)
        return True

    async def credential_for_token(self, presented: str, *, allow_expired: bool = False) -> tokens.AgentCredential:
        """The agent a bearer token belongs to. The generation is checked again where the
        agent's row is read or written, so a rotated or deleted agent's token fails there.
        `allow_expired`: an expired signed token still names the agent it was issued to,
        which is what registering again needs to prove."""
        if not presented.isascii():  # no token has such characters; the comparisons refuse them
            raise unauthorized("Invalid agent token")
        if presented.startswith(tokens.SIGNED_PREFIX):
            claims = tokens.verify(await self._signing_key(), presented)
            if claims is None:
                raise unauthorized("Invalid agent token")
            if not allow_expired and claims.expires_ms <= self.clock.now_ms():
                raise unauthorized("Agent token expired", hint="Register again to get a new token.")
            return tokens.AgentCredential(claims.agent_id, claims.generation)
        token_hash = tokens.hash_of(presented)
        cache = caches(self.hub)
        known = cache.by_token.get(token_hash)
        if known is not None:
            return known
        async with self.store.read() as conn:
            row = await repo.credential_by(conn, "token_hash", token_hash)
        if row is None:
            raise unauthorized("Invalid agent token")
        credential = tokens.AgentCredential(row["id"], int(row["token_generation"]))
        cache.remember(token_hash, credential)
        return credential

    async def credential_for_key(self, agent_key: str) -> tokens.AgentCredential | None:
        async with self.store.read() as conn:
            row = await repo.credential_by(conn, "agent_key_hash", tokens.hash_of(agent_key))
        return None if row is None else tokens.AgentCredential(row["id"], int(row["token_generation"]))

    async def config_for(self, credential: tokens.AgentCredential) -> AgentConfig:
        async with self.store.read() as conn:
            row = await repo.get(conn, credential.agent_id)
            log_requests = await logstore.requests_for(conn, credential.agent_id, self.clock.now_ms())
            endpoint_checks = await agent_endpoints.checks_for(conn, credential.agent_id, self.hub.secrets)
        if row is None or int(row["token_generation"]) != credential.generation:
            raise unauthorized("Invalid agent token")
        config = self.config_of(row)
        config.log_requests = log_requests
        config.endpoint_checks = endpoint_checks
        return config


def config_values(body: AgentConfigUpdate, now: int) -> dict[str, Any]:
    """The agent row's values that PUT /api/v1/agents/{id}/config sets; a push interval left
    out stays as it is."""
    stored = {
        "services": msgspec.to_builtins(body.services),
        "metricsConfig": msgspec.to_builtins(body.metrics_config),
    }
    values: dict[str, Any] = {"config": json.dumps(stored), "updated_at": now}
    if body.push_interval_seconds is not None:
        values["push_interval_seconds"] = body.push_interval_seconds
    return values


def _check_proof(existing: RowMapping, proof: tokens.AgentCredential | None) -> None:
    if proof is None:
        raise WatchkeepError(
            ErrorCode.CONFLICT,
            "An agent with this name and hostname is registered; only that agent may register it again",
            field="name",
            hint="Send that agent's token as Authorization: Bearer (the API key in X-API-Key) or its agentKey.",
        )
    if proof.agent_id != existing["id"]:
        raise forbidden_other_agent()
    if proof.generation != int(existing["token_generation"]):
        raise unauthorized("Invalid agent token", hint="The agent's token was rotated; use its new credentials.")


def forbidden_other_agent() -> WatchkeepError:
    return WatchkeepError(ErrorCode.FORBIDDEN_SCOPE, "This token belongs to another agent")
