"""A condition reported with a new stage (a certificate's lower expiry threshold) keeps one
alert, takes the new message and is sent again; the same stage again sends nothing."""

from __future__ import annotations

import pytest

from tests.support.alerting import create_channel, deliver, only_alert
from tests.support.hub import RunningHub
from tests.support.receiver import Receiver
from watchkeep.alerts.service import AlertService, Condition


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def expiring(days: int, stage: str) -> Condition:
    return Condition(
        source="certificate",
        type="certificate_expiring",
        entity_type="certificate",
        entity_id="crt_1",
        firing=True,
        severity="warning",
        message=f"expires in {days} days",
        stage=stage,
    )


async def test_a_new_stage_is_sent_again_with_its_message(hub: RunningHub, receiver: Receiver) -> None:
    await create_channel(hub, "webhook", {"url": f"{receiver.url}/hook"})
    service = AlertService(hub.hub)
    await service.report(expiring(29, "30"))
    await service.report(expiring(28, "30"))
    await service.report(expiring(13, "14"))
    alert = await only_alert(hub)
    assert (alert["message"], alert["details"]["stage"], alert["severity"]) == ("expires in 13 days", "14", "warning")
    await deliver(hub)
    sent = [r.json()["alerts"][0]["message"] for r in receiver.requests]
    assert sorted(sent) == ["expires in 13 days", "expires in 29 days"]
