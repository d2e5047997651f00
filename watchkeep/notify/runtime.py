"""The delivery machinery one hub runs: the shared HTTP sender and the outbox worker with
a deliverer per kind of target."""

from __future__ import annotations

from watchkeep.core.hub import Hub
from watchkeep.core.logging import quiet_client_loggers
from watchkeep.notify.delivery import HttpSender
from watchkeep.notify.service import ChannelDeliverer
from watchkeep.notify.urlpolicy import policy_for
from watchkeep.notify.worker import Deliverer, OutboxWorker


class NotifyRuntime:
    def __init__(self, hub: Hub) -> None:
        settings = hub.settings
        # The client libraries would log each URL whole, secrets included; the sender logs
        # its requests redacted instead.
        quiet_client_loggers()
        self.http = HttpSender(policy_for(hub), timeout=settings.notify_timeout_seconds)
        self.worker = OutboxWorker(hub, {"channel": ChannelDeliverer(hub, self.http)})

    def add_deliverer(self, target_kind: str, deliverer: Deliverer) -> None:
        self.worker.deliverers[target_kind] = deliverer

    async def close(self) -> None:
        await self.http.close()
