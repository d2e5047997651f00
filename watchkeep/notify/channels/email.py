"""Email over SMTP (aiosmtplib) with STARTTLS, implicit TLS or none. Server settings not
given in the channel's config come from `WATCHKEEP_SMTP_*`."""

from __future__ import annotations

import ssl
import time
from email.message import EmailMessage
from email.utils import make_msgid
from typing import ClassVar, Literal

import aiosmtplib
from pydantic import Field, field_validator

from watchkeep.core.config import Settings
from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.delivery import DELIVERY_HEADER, DeliveryResult
from watchkeep.notify.message import Message
from watchkeep.notify.urlpolicy import TargetRefused, check_host

Security = Literal["starttls", "tls", "none"]


class Config(ChannelConfig):
    secret_fields = frozenset({"password"})
    destination_fields = frozenset({"host", "port", "security"})
    url_schemes: ClassVar[frozenset[str] | None] = None
    to: list[str] = Field(min_length=1, max_length=50)
    host: str | None = Field(None, min_length=1, max_length=255)
    port: int | None = Field(None, ge=1, le=65535)
    username: str | None = Field(None, max_length=200)
    password: str | None = Field(None, max_length=500)
    security: Security | None = None
    from_address: str | None = Field(None, max_length=320)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or any(c.isspace() for c in address):
                raise ValueError(f"{address!r} is not an email address")
        return value

    def target_urls(self) -> list[str]:
        return [f"smtp://{self.host}:{self.port or 25}"] if self.host else []


def build(message: Message, config: Config, settings: Settings) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = config.from_address or settings.smtp_from
    mail["To"] = ", ".join(config.to)
    mail["Message-ID"] = make_msgid(idstring=message.delivery_id)
    mail[DELIVERY_HEADER] = message.delivery_id
    mail.set_content(f"{message.text}\n\n{message.link}\n")
    return mail


def _tls_context(settings: Settings) -> ssl.SSLContext:
    cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
    context = ssl.create_default_context()
    if cafile:
        context.load_verify_locations(cafile=cafile)
    return context


async def send(message: Message, config: Config, ctx: SendContext) -> DeliveryResult:
    settings = ctx.settings
    host = config.host or settings.smtp_host
    port = config.port or settings.smtp_port
    if config.host:
        # The operator's own WATCHKEEP_SMTP_HOST is trusted; a host named in a channel is not.
        try:
            await check_host(config.host, port, allow_private=ctx.http.allow_private)
        except TargetRefused as exc:
            return DeliveryResult.failed(f"target refused: {exc}", permanent=True)
    security = config.security or settings.smtp_security
    username = config.username if config.host else (config.username or settings.smtp_username or None)
    password = config.password
    if password is None and not config.host and settings.smtp_password is not None:
        password = settings.smtp_password.get_secret_value()
    started = time.perf_counter()
    try:
        await aiosmtplib.send(
            build(message, config, settings),
            hostname=host,
            port=port,
            username=username or None,
            password=password if username else None,
            use_tls=security == "tls",
            start_tls=security == "starttls",
            tls_context=_tls_context(settings) if security != "none" else None,
            timeout=settings.notify_timeout_seconds,
        )
    except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPSenderRefused) as exc:
        return DeliveryResult.failed(f"SMTP refused: {exc}", permanent=True)
    except aiosmtplib.SMTPResponseException as exc:
        return DeliveryResult.failed(f"SMTP {exc.code}: {exc.message}", permanent=500 <= exc.code < 600)
    except (aiosmtplib.SMTPException, OSError) as exc:
        return DeliveryResult.failed(f"SMTP: {type(exc).__name__}: {exc}")
    return DeliveryResult(ok=True, latency_ms=int((time.perf_counter() - started) * 1000))
