"""A real SMTP server on loopback (aiosmtpd) with a certificate from a test CA (trustme),
speaking STARTTLS or implicit TLS."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.process import free_port


@dataclass
class Mailbox:
    messages: list[tuple[Envelope, Message]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.messages.append((envelope, message_from_bytes(content)))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    ca_file: Path
    mailbox: Mailbox


@contextlib.contextmanager
def smtp_server(tmp_path: Path, *, implicit_tls: bool) -> Iterator[SmtpServer]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    ca_file = tmp_path / "smtp-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    mailbox = Mailbox()
    port = free_port()
    options: dict[str, Any] = (
        {"ssl_context": server_context} if implicit_tls else {"tls_context": server_context, "require_starttls": True}
    )
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, server_hostname="127.0.0.1", **options)
    controller.start()
    try:
        yield SmtpServer(port, ca_file, mailbox)
    finally:
        controller.stop()
