"""Objects made the way the API makes them, for export to find."""

from __future__ import annotations

from datetime import UTC, datetime

from watchkeep.alerts.schemas import WindowIn
from watchkeep.alerts.silences import MaintenanceService
from watchkeep.core.hub import Hub
from watchkeep.heartbeats.schemas import HeartbeatWrite
from watchkeep.heartbeats.service import HeartbeatService
from watchkeep.notify.schemas import ChannelIn, RuleIn
from watchkeep.notify.service import ChannelService
from watchkeep.webhooks.schemas import WebhookIn
from watchkeep.webhooks.service import WebhookService

GOTIFY_TOKEN = "gotify-token-0123456789"
WEBHOOK_SECRET = "whsec_0123456789abcdefghij"
HEADER_TOKEN = "Bearer header-token-0123456789"


async def make_objects(hub: Hub) -> None:
    heartbeats = HeartbeatService(hub)
    await heartbeats.create(HeartbeatWrite(name="nightly backup", kind="cron", cron="0 3 * * *").to_row())
    await heartbeats.create(HeartbeatWrite(name="billing", period_seconds=600, tags=["money"]).to_row())

    channels = ChannelService(hub)
    gotify, _ = await channels.create(
        ChannelIn(name="pager", type="gotify", config={"url": "http://127.0.0.1:9", "token": GOTIFY_TOKEN})
    )
    await channels.add_rule(gotify["id"], RuleIn.model_validate({"matchers": {"source": "heartbeat"}}))
    await channels.add_rule(gotify["id"], RuleIn.model_validate({"repeatIntervalSeconds": 3600}))
    await channels.create(
        ChannelIn(
            name="hook",
            type="webhook",
            config={"url": "http://127.0.0.1:9/hook", "headers": {"Authorization": HEADER_TOKEN}},
        )
    )

    windows = MaintenanceService(hub)
    await windows.create(WindowIn(name="sunday", cron="0 2 * * 0", duration_seconds=3600), "alice")
    await windows.create(
        WindowIn(
            name="migration",
            starts_at=datetime(2030, 1, 1, 10, tzinfo=UTC),
            ends_at=datetime(2030, 1, 1, 12, tzinfo=UTC),
            comment="database move",
        ),
        "alice",
    )

    await WebhookService(hub).create(
        WebhookIn(name="ci", url="http://127.0.0.1:9/events", secret=WEBHOOK_SECRET, event_types=["alert.fired"])
    )
