"""Email over SMTP (aiosmtplib) with STARTTLS, implicit TLS or none. Server settings not
given in the channel's config come from `WATCHKEEP_SMTP_*`.

A server named in the channel is resolved once through the URL policy and the socket is
connected here, to a checked address; aiosmtplib gets the connected socket and the name
(for TLS verification and SNI)."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Annotated, ClassVar, Literal

import aiosmtplib
from pydantic import AfterValidator, Field, field_validator

from watchkeep.core.config import Settings
from watchkeep.notify.channels.base import ChannelConfig, SendContext
from watchkeep.notify.channels.fields import SingleLine, email_address
from watchkeep.notify.delivery import DELIVERY_HEADER, DeliveryResult, refused
from watchkeep.notify.message import Message
from watchkeep.notify.urlpolicy import TargetRefused, UrlPolicy

log = logging.getLogger("watchkeep.notify")

Security = Literal["starttls", "tls", "none"]


def _from_address(value: str) -> str:
    """`alerts@example.com` or `Watchkeep <alerts@example.com>`, on one line."""
    if not value.isprintable() or "@" not in parseaddr(value)[1]:
        raise ValueError(f"{value!r} is not an email address")
    return value


FromAddress = Annotated[str, AfterValidator(_from_address)]


class Config(ChannelConfig):
    secret_fields = frozenset({"password"})
    destination_fields = frozenset({"host", "port", "security"})
    url_schemes: ClassVar[frozenset[str] | None] = None
    to: list[str] = Field(min_length=1, max_length=50)
    host: str | None = Field(None, min_length=1, max_length=255, pattern=r"^[A-Za-z0-9.:_\[\]-]+$")
    port: int | None = Field(None, ge=1, le=65535)
    username: SingleLine | None = Field(None, max_length=200)
    password: str | None = Field(None, max_length=500)
    security: Security | None = None
    from_address: FromAddress | None = Field(None, max_length=320)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return [email_address(address) for address in value]

    def target_urls(self) -> list[str]:
        return [f"smtp://{self.host}:{self.port or 25}"] if self.host else []


def build(message: Message, config: Config, settings: Settings) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = " ".join(message.title.split())
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


async def connect_checked(policy: UrlPolicy, host: str, port: int, timeout: float) -> socket.socket:
    """A socket connected to one of the addresses `host` resolves to, all checked."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        addresses = await policy.addresses(host, port)
        failure: OSError | None = None
        for address in addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                await loop.sock_connect(sock, (address, port))
            except OSError as exc:
                sock.close()
                failure = exc
                continue
            except BaseException:
                sock.close()
                raise
            return sock
    assert failure is not None  # `addresses` is never empty
    raise failure


async def send(message: Message, config: Config, ctx: SendContext) -> DeliveryResult:
    settings = ctx.settings
    host = config.host or settings.smtp_host
    port = config.port or settings.smtp_port
    try:
        mail = build(message, config, settings)
    except ValueError as exc:
        return DeliveryResult.failed(f"the message cannot be built from this config: {exc}", permanent=True)
    # The operator's own WATCHKEEP_SMTP_HOST is trusted; a host named in a channel is not.
    sock: socket.socket | None = None
    if config.host:
        try:
            sock = await connect_checked(ctx.http.policy, config.host, port, settings.notify_timeout_seconds)
        except TargetRefused as exc:
            return refused(exc)
        except (OSError, TimeoutError) as exc:
            log.info("SMTP connection to %s:%d failed: %s", config.host, port, exc)
            return DeliveryResult.failed(f"SMTP: could not connect ({type(exc).__name__})")
    security = config.security or settings.smtp_security
    username = config.username if config.host else (config.username or settings.smtp_username or None)
    password = config.password
    if password is None and not config.host and settings.smtp_password is not None:
        password = settings.smtp_password.get_secret_value()
    started = time.perf_counter()
    # aiosmtplib owns `sock` from here: its transport closes it, after the TLS shutdown.
    try:
        await aiosmtplib.send(
            mail,
            hostname=host,
            port=None if sock is not None else port,
            sock=sock,
            username=username or None,
            password=password if username else None,
            use_tls=security == "tls",
            start_tls=security == "starttls",
            tls_context=_tls_context(settings) if security != "none" else None,
            timeout=settings.notify_timeout_seconds,
        )
    except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPSenderRefused) as exc:
        log.info("SMTP server %s refused: %s", host, exc)
        return DeliveryResult.failed(f"SMTP refused ({type(exc).__name__})", permanent=True)
    except aiosmtplib.SMTPResponseException as exc:
        log.info("SMTP server %s answered %d: %s", host, exc.code, exc.message)
        return DeliveryResult.failed(f"SMTP {exc.code}", permanent=500 <= exc.code < 600)
    except ssl.SSLCertVerificationError as exc:
        log.info("SMTP server %s: %s", host, exc)
        return DeliveryResult.failed("SMTP: the server's TLS certificate is not trusted")
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.info("SMTP delivery through %s failed: %s", host, exc)
        return DeliveryResult.failed(f"SMTP: {type(exc).__name__}")
    return DeliveryResult(ok=True, latency_ms=int((time.perf_counter() - started) * 1000))
