"""Email channels deliver to a real SMTP server on loopback over STARTTLS and implicit TLS."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from tests.support.alerting import QUIET_LOOPS, agent_offline, create_channel, deliver, only_alert
from tests.support.hub import RunningHub
from tests.support.smtp import smtp_server
from watchkeep.core.clock import FrozenClock

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_email_over_starttls_uses_the_smtp_settings_as_defaults(
    start_hub: StartHub, clock: FrozenClock, tmp_path: Path
) -> None:
    with smtp_server(tmp_path, implicit_tls=False) as smtp:
        settings = {
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "starttls",
            "smtp_from": "alerts@watchkeep.test",
            "smtp_ca_file": smtp.ca_file,
        }
        async with start_hub(clock=clock, **{**QUIET_LOOPS, "allow_private_targets": False}, **settings) as hub:
            await create_channel(hub, "email", {"to": ["ops@example.com", "oncall@example.com"]})
            await agent_offline(hub, "agt_1", "web-1")
            await deliver(hub)
            alert = await only_alert(hub)
            [(envelope, mail)] = smtp.mailbox.messages
    assert envelope.mail_from == "alerts@watchkeep.test"
    assert envelope.rcpt_tos == ["ops@example.com", "oncall@example.com"]
    assert mail["Subject"] == "[CRITICAL] web-1: agent web-1 is offline"
    assert mail["To"] == "ops@example.com, oncall@example.com"
    assert mail["X-Watchkeep-Delivery"].startswith("dlv_")
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert body.decode().replace("\r\n", "\n") == (
        f"agent web-1 is offline\nagent: web-1\nsource: agent (agent_offline)\n\nhttp://hub.test/alerts/{alert['id']}\n"
    )


async def test_email_over_implicit_tls_with_the_server_in_the_channel(
    start_hub: StartHub, clock: FrozenClock, tmp_path: Path
) -> None:
    with smtp_server(tmp_path, implicit_tls=True) as smtp:
        async with start_hub(clock=clock, smtp_ca_file=smtp.ca_file, **QUIET_LOOPS) as hub:
            config = {
                "to": ["ops@example.com"],
                "host": "127.0.0.1",
                "port": smtp.port,
                "security": "tls",
                "fromAddress": "hub@example.com",
            }
            channel = await create_channel(hub, "email", config)
            response = (await hub.admin.post(f"/api/v1/channels/{channel}/test")).json()
            [(envelope, mail)] = smtp.mailbox.messages
    assert response["ok"] is True
    assert envelope.mail_from == "hub@example.com"
    assert mail["Subject"] == "watchkeep test message"
    assert mail["X-Watchkeep-Delivery"] == response["deliveryId"]


async def test_an_untrusted_certificate_is_a_reported_failure(
    start_hub: StartHub, clock: FrozenClock, tmp_path: Path
) -> None:
    with smtp_server(tmp_path, implicit_tls=False) as smtp:
        async with start_hub(clock=clock, **QUIET_LOOPS) as hub:
            config = {"to": ["ops@example.com"], "host": "127.0.0.1", "port": smtp.port}
            channel = await create_channel(hub, "email", config)
            response = (await hub.admin.post(f"/api/v1/channels/{channel}/test")).json()
            assert smtp.mailbox.messages == []
    assert response["ok"] is False
    assert "certificate" in response["error"].lower()
