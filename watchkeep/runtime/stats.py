"""The local containers' stats, every `WATCHKEEP_DOCKER_STATS_INTERVAL` seconds: the agent's
DockerCollector, stored through the ingest service as the hub's own agent (the self-monitor
samples only the host, so Docker is collected once). While the watcher follows the engine it
records state, health and restart counts from the events; this sample then brings the
inventory's other fields and the metrics only."""

from __future__ import annotations

from watchkeep.agent.docker import DockerCollector
from watchkeep.agent.sampler import rfc3339
from watchkeep.agents.ingest import native
from watchkeep.agents.ingest.store import IngestService, place_in_time
from watchkeep.agents.selfmonitor import forget_own_agent, own_agent
from watchkeep.core.errors import WatchkeepError
from watchkeep.core.hub import Hub
from watchkeep.protocol.ingest import IngestPayload
from watchkeep.runtime.watcher import RuntimeWatcher


class RuntimeStats:
    def __init__(self, hub: Hub, watcher: RuntimeWatcher) -> None:
        self.hub = hub
        self.watcher = watcher
        self.collector = DockerCollector(hub.settings.docker_host)

    async def step(self) -> bool:
        """Sample the local containers once, while the engine is followed."""
        if not self.watcher.following:
            return False
        at_ms = self.hub.clock.now_ms()
        sample = await self.collector.collect()
        if not sample.available:
            return False
        payload = IngestPayload(timestamp=rfc3339(at_ms / 1000), containers=sample.containers, services=sample.services)
        batch = native.to_batch(payload, *place_in_time(self.hub, at_ms))
        for info in batch.containers:
            info.state = info.health = info.restart_count = None
        try:
            await IngestService(self.hub).store(await own_agent(self.hub), batch)
        except WatchkeepError:  # the agent was deleted or rotated: register again next time
            forget_own_agent(self.hub)
        return False
