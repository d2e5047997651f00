"""Config field types for values that end up in a header, an address or a URL path: they are
checked when a channel is created or changed, so a bad one is a 400 naming the field, not a
failure at every delivery (or a header injected into a request or an email)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# Set by the HTTP client or the framing itself; a channel may not choose them.
FORBIDDEN_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer"}
)
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 field name
_EMAIL = re.compile(r"^[^@\s,;<>()\[\]\"\\]+@[^@\s,;<>()\[\]\"\\]+$")


def _printable_ascii(value: str) -> str:
    if not value.isascii():
        raise ValueError("must be ASCII (it is sent in a header)")
    if not value.isprintable():
        raise ValueError("must not contain line breaks or control characters")
    return value


def _header_name(value: str) -> str:
    if not _TOKEN.match(value):
        raise ValueError("is not a valid header name")
    if value.lower() in FORBIDDEN_HEADERS:
        raise ValueError(f"the {value} header is set by the HTTP client and cannot be configured")
    return value


def email_address(value: str) -> str:
    if not value.isprintable() or not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _no_control(value: str) -> str:
    if not value.isprintable():
        raise ValueError("must not contain line breaks or control characters")
    return value


HeaderName = Annotated[str, AfterValidator(_header_name)]
# A value sent in a header (extra headers, tokens sent as headers).
HeaderValue = Annotated[str, AfterValidator(_printable_ascii)]
# Free text without line breaks (user names, chat ids).
SingleLine = Annotated[str, AfterValidator(_no_control)]
