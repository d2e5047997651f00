"""Objects made the way the API makes them, for export to find."""

from __future__ import annotations

from datetime import UTC, datetime

from watchkeep.agents.schemas import AgentCreate
from watchkeep.agents.service import AgentService
from watchkeep.alerts.schemas import SilenceIn, WindowIn
from watchkeep.alerts.silences import MaintenanceService, SilenceService
from watchkeep.certificates.schemas import CertificateWrite
from watchkeep.certificates.service import CertificateService
from watchkeep.core.hub import Hub
from watchkeep.endpoints.schemas import EndpointWrite
from watchkeep.endpoints.service import EndpointService
from watchkeep.heartbeats.schemas import HeartbeatWrite
from watchkeep.heartbeats.service import HeartbeatService
from watchkeep.notify.schemas import ChannelIn, RuleIn
from watchkeep.notify.service import ChannelService
from watchkeep.updates.service import UpdateService
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
    await SilenceService(hub).create(
        SilenceIn.model_validate(
            {"matchers": {"source": "endpoint"}, "endsAt": "2030-01-02T00:00:00Z", "comment": "vendor outage"}
        ),
        "alice",
    )
    endpoints = EndpointService(hub)
    await endpoints.create(
        EndpointWrite.model_validate(
            {
                "name": "api",
                "type": "http",
                "target": "http://127.0.0.1:9/health",
                "http": {"headers": {"Authorization": HEADER_TOKEN, "Accept": "application/json"}},
            }
        )
    )
    await endpoints.create(EndpointWrite(name="db port", type="tcp", target="127.0.0.1:5432"))
    await CertificateService(hub).create(CertificateWrite(host="example.org", thresholds_days=[14, 7]).to_row())
    await UpdateService(hub).create_exclusion("ghcr.io/acme/*", "*-rc*", "release candidates")


async def make_agent(hub: Hub, name: str = "web-1") -> str:
    """An agent as `POST /api/v1/agents` makes it; its id."""
    return str((await AgentService(hub).create(AgentCreate(name=name))).row["id"])
