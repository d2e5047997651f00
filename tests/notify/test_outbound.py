"""Outbound connections go only where the URL policy checked: a name is resolved once, through
the policy, and the connection goes to a checked address (DNS rebinding gets nowhere), for
HTTP channels, webhook subscriptions and email; Apprise's own connections (override
parameters, redirects) pass the same policy.

The policy's resolver is the seam: these tests answer `localhost` with 127.0.0.2 (an address
`WATCHKEEP_ALLOWED_TARGET_NETWORKS` admits, where the real target listens) while the system
resolver would say 127.0.0.1, where a listener must see no connection at all."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.alerting import QUIET_LOOPS, agent_offline, create_channel, deliver
from tests.support.hub import RunningHub
from tests.support.receiver import Receiver, running_receiver
from tests.support.smtp import Mailbox
from watchkeep.core.clock import FrozenClock
from watchkeep.notify.urlpolicy import Resolver, is_internal, policy_for

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]
# Internal targets refused, except 127.0.0.2: the stand-in for a public address.
STRICT: dict[str, Any] = {
    **QUIET_LOOPS,
    "allow_private_targets": False,
    "allowed_target_networks": ["127.0.0.2/32"],
}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@dataclass
class Listener:
    """A TCP listener that counts connections and answers nothing."""

    port: int = 0
    connections: int = 0


@contextlib.asynccontextmanager
async def tcp_listener(host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[Listener]:
    listener = Listener()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        listener.connections += 1
        writer.close()

    server = await asyncio.start_server(handle, host, port)
    listener.port = server.sockets[0].getsockname()[1]
    try:
        yield listener
    finally:
        server.close()
        await server.wait_closed()


def answering(names: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in names:
            raise OSError(f"{host} is not known to this test")
        return names[host]

    return resolve


@pytest.fixture
async def split_loopback() -> AsyncIterator[tuple[Listener, Receiver]]:
    """127.0.0.1:P, which must see nothing, and the real target at 127.0.0.2:P."""
    async with tcp_listener("127.0.0.1") as loopback, running_receiver("127.0.0.2", loopback.port) as receiver:
        yield loopback, receiver


async def test_a_channel_connects_to_the_address_the_policy_checked(
    start_hub: StartHub, clock: FrozenClock, split_loopback: tuple[Listener, Receiver]
) -> None:
    loopback, receiver = split_loopback
    async with start_hub(clock=clock, **STRICT) as hub:
        policy_for(hub.hub).resolver = answering({"localhost": ["127.0.0.2"]})
        channel = await create_channel(hub, "webhook", {"url": f"http://localhost:{loopback.port}/hook"})
        answer = (await hub.admin.post(f"/api/v1/channels/{channel}/test")).json()
    assert answer["ok"] is True, answer
    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.headers["host"] == f"localhost:{loopback.port}"  # the name, not the address
    assert loopback.connections == 0


async def test_https_connects_to_the_checked_address_and_verifies_the_name(
    start_hub: StartHub, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    pem = tmp_path / "receiver.pem"
    ca.issue_cert("localhost").private_key_and_cert_chain_pem.write_to_path(str(pem))
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    async with (
        tcp_listener("127.0.0.1") as loopback,
        running_receiver("127.0.0.2", loopback.port, tls_pem=str(pem)) as receiver,
        start_hub(clock=clock, **STRICT) as hub,
    ):
        policy_for(hub.hub).resolver = answering({"localhost": ["127.0.0.2"]})
        channel = await create_channel(hub, "discord", {"url": f"https://localhost:{loopback.port}/hook"})
        answer = (await hub.admin.post(f"/api/v1/channels/{channel}/test")).json()
    # The certificate names `localhost` only: it verified because TLS was told the name.
    assert answer["ok"] is True, answer
    [request] = receiver.requests
    assert request.headers["host"] == f"localhost:{loopback.port}"
    assert loopback.connections == 0


async def test_a_webhook_subscription_connects_to_the_address_the_policy_checked(
    start_hub: StartHub, clock: FrozenClock, split_loopback: tuple[Listener, Receiver]
) -> None:
    loopback, receiver = split_loopback
    async with start_hub(clock=clock, **STRICT) as hub:
        policy_for(hub.hub).resolver = answering({"localhost": ["127.0.0.2"]})
        body = {"name": "w", "url": f"http://localhost:{loopback.port}/events"}
        created = (await hub.admin.post("/api/v1/webhooks", json=body)).json()
        answer = (await hub.admin.post(f"/api/v1/webhooks/{created['id']}/test")).json()
    assert answer["ok"] is True, answer
    [request] = receiver.requests
    assert request.headers["host"] == f"localhost:{loopback.port}"
    assert loopback.connections == 0


async def test_a_name_that_answers_an_internal_address_among_public_ones_gets_no_connection(
    start_hub: StartHub, clock: FrozenClock, split_loopback: tuple[Listener, Receiver]
) -> None:
    loopback, receiver = split_loopback
    async with start_hub(clock=clock, **STRICT) as hub:
        policy = policy_for(hub.hub)
        policy.resolver = answering({"localhost": ["127.0.0.2"]})
        channel = await create_channel(hub, "slack", {"url": f"http://localhost:{loopback.port}/hook"})
        # The name now answers the checked address first and 127.0.0.1 second.
        policy.resolver = answering({"localhost": ["127.0.0.2", "127.0.0.1"]})
        answer = (await hub.admin.post(f"/api/v1/channels/{channel}/test")).json()
    assert answer["ok"] is False
    assert answer["error"].startswith("target refused: 'localhost' resolves to a loopback")
    assert "127.0.0.1" not in answer["error"]
    assert receiver.requests == []
    assert loopback.connections == 0


async def test_a_refusal_does_not_say_what_an_internal_name_resolves_to(
    start_hub: StartHub, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock, **STRICT) as hub:
        body = {"name": "x", "type": "slack", "config": {"url": "http://localhost:9/hook"}}
        response = await hub.admin.post("/api/v1/channels", json=body)
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "localhost" in message
    assert "127.0.0.1" not in message
    assert "::1" not in message


async def test_email_connects_to_the_address_the_policy_checked(start_hub: StartHub, clock: FrozenClock) -> None:
    async with tcp_listener("127.0.0.1") as loopback:
        mailbox = Mailbox()
        smtp = Controller(mailbox, hostname="127.0.0.2", port=loopback.port)
        smtp.start()
        try:
            async with start_hub(clock=clock, **STRICT) as hub:
                policy_for(hub.hub).resolver = answering({"localhost": ["127.0.0.2"]})
                config = {"to": ["ops@example.com"], "host": "localhost", "port": loopback.port, "security": "none"}
                channel = await create_channel(hub, "email", config)
                answer = (await hub.admin.post(f"/api/v1/channels/{channel}/test")).json()
        finally:
            smtp.stop()
    assert answer["ok"] is True, answer
    assert len(mailbox.messages) == 1
    assert loopback.connections == 0


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        ("2002:a00:1::1", True),  # 6to4 of 10.0.0.1
        ("2002:5db8:d822::1", False),  # 6to4 of a public address
        ("64:ff9b::7f00:1", True),  # NAT64 of 127.0.0.1
        ("64:ff9b:1::a00:1", True),  # local-use NAT64
        ("::127.0.0.1", True),  # IPv4-compatible
        ("::ffff:169.254.169.254", True),  # IPv4-mapped
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", True),  # Teredo of 127.0.0.1
        ("93.184.216.34", False),
    ],
)
def test_ipv6_forms_that_embed_an_internal_ipv4_address_are_internal(address: str, internal: bool) -> None:
    assert is_internal(address) is internal


class SmtpRecorder(Mailbox):
    """A mailbox that also counts the sessions that said hello."""

    def __init__(self) -> None:
        super().__init__()
        self.hellos = 0

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        self.hellos += 1
        return responses


needs_apprise = pytest.mark.skipif(importlib.util.find_spec("apprise") is None, reason="the apprise extra")


@needs_apprise
async def test_an_apprise_smtp_override_cannot_reach_an_internal_server(
    start_hub: StartHub, clock: FrozenClock
) -> None:
    async with tcp_listener("127.0.0.1") as probe:
        port = probe.port
    recorder = SmtpRecorder()
    smtp = Controller(recorder, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        async with start_hub(clock=clock, **STRICT) as hub:
            url = (
                f"mailto://93.184.216.34?smtp=127.0.0.1&port={port}&mode=insecure"
                "&from=hub@example.com&to=ops@example.com"
            )
            channel = await create_channel(hub, "apprise", {"url": url})
            answer = (await hub.admin.post(f"/api/v1/channels/{channel}/test")).json()
    finally:
        smtp.stop()
    assert recorder.hellos == 0
    assert recorder.messages == []
    assert answer["ok"] is False
    assert answer["error"].startswith("target refused: Apprise tried to connect to a loopback")


@contextlib.asynccontextmanager
async def redirecting(host: str, location: str) -> AsyncIterator[int]:
    """An HTTP server that answers every request with a 307 to `location`."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, host, 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@needs_apprise
async def test_an_apprise_redirect_to_an_internal_address_is_not_followed(
    start_hub: StartHub, clock: FrozenClock
) -> None:
    async with (
        tcp_listener("127.0.0.1") as loopback,
        redirecting("127.0.0.2", f"http://127.0.0.1:{loopback.port}/internal") as port,
        start_hub(clock=clock, **STRICT) as hub,
    ):
        channel = await create_channel(hub, "apprise", {"url": f"json://127.0.0.2:{port}/hook"})
        answer = (await hub.admin.post(f"/api/v1/channels/{channel}/test")).json()
    assert loopback.connections == 0
    assert answer["ok"] is False
    assert answer["error"].startswith("target refused: Apprise tried to connect")


async def test_a_name_that_stops_resolving_is_retried_not_given_up(
    start_hub: StartHub, clock: FrozenClock, split_loopback: tuple[Listener, Receiver]
) -> None:
    loopback, receiver = split_loopback
    async with start_hub(clock=clock, **STRICT) as hub:
        policy = policy_for(hub.hub)
        policy.resolver = answering({"localhost": ["127.0.0.2"]})
        channel = await create_channel(hub, "slack", {"url": f"http://localhost:{loopback.port}/hook"})
        policy.resolver = answering({})  # a DNS outage
        await agent_offline(hub)
        await deliver(hub)
        [logged] = (await hub.admin.get(f"/api/v1/channels/{channel}/deliveries")).json()
        shown = (await hub.admin.get(f"/api/v1/channels/{channel}")).json()
    assert logged["status"] == "pending"
    assert logged["lastError"] == "target refused: the host 'localhost' does not resolve"
    assert shown["enabled"] is True
    assert receiver.requests == [] and loopback.connections == 0
