"""Self-monitoring: the hub runs the agent's collectors in-process for its own host and stores
the samples through the same ingest service an agent's push goes through, so a new hub shows
its own machine at once. `WATCHKEEP_SELF_MONITOR=false` turns it off. The local Docker
engine's containers are sampled by the local runtime (watchkeep/runtime), at its own interval.

The hub's own agent (`own_agent`) is also what the containers of the hub's local Docker
engine belong to: a container of that agent is local to this hub."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass

from watchkeep import __version__
from watchkeep.agent.checks import CheckRunner
from watchkeep.agent.config import LocalChecks
from watchkeep.agent.hostcollector import HostCollector
from watchkeep.agent.sampler import Sampler
from watchkeep.agents.ingest import native
from watchkeep.agents.ingest.store import IngestService, place_in_time
from watchkeep.agents.ingest.times import parse_ms
from watchkeep.agents.schemas import AgentRegister
from watchkeep.agents.service import AgentService
from watchkeep.agents.tokens import AgentCredential
from watchkeep.core.errors import WatchkeepError
from watchkeep.core.hub import Hub

log = logging.getLogger("watchkeep.selfmonitor")

SELF_AGENT_NAME = "watchkeep hub"


@dataclass
class _OwnAgent:
    credential: AgentCredential | None = None


async def own_agent(hub: Hub) -> AgentCredential:
    """The agent standing for this hub's host (named `watchkeep hub` and the hostname),
    registered on first use: the same agent across restarts, so its containers keep their ids."""
    own = hub.local(_OwnAgent)
    if own.credential is None:
        service = AgentService(hub)
        body = AgentRegister(name=SELF_AGENT_NAME, hostname=socket.gethostname(), version=__version__, platform="linux")
        registration = await service.register(body, None, trusted=True)
        own.credential = await service.credential_for_token(registration.token)
        log.info("this host is agent %s", registration.agent_id)
    return own.credential


def own_agent_id(hub: Hub) -> str | None:
    """The own agent's id, when this hub process registered or found it already."""
    credential = hub.local(_OwnAgent).credential
    return None if credential is None else credential.agent_id


def forget_own_agent(hub: Hub) -> None:
    """After the agent was deleted or its token rotated: register again on next use."""
    hub.local(_OwnAgent).credential = None


class SelfMonitor:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.sampler = Sampler(
            host=HostCollector(),
            checks=CheckRunner(LocalChecks()),
            now=lambda: hub.clock.now_ms() / 1000,
        )

    async def step(self) -> bool:
        """Sample this host once and store it; never finds more work than one sample."""
        credential = await own_agent(self.hub)
        service = AgentService(self.hub)
        try:
            config = await service.config_for(credential)
        except WatchkeepError:  # the agent was deleted or rotated: register again next time
            forget_own_agent(self.hub)
            return False
        payload = await self.sampler.sample(config)
        given = parse_ms(payload.timestamp, "timestamp") if payload.timestamp else None
        at_ms, clamped = place_in_time(self.hub, given)
        await IngestService(self.hub).store(credential, native.to_batch(payload, at_ms, clamped))
        return False

    async def aclose(self) -> None:
        if self.sampler.checks is not None:
            await self.sampler.checks.aclose()
