"""One way to log an outbound request: the scheme, host and shape of the URL, with every
part that may carry a secret (user info, query values, token-like path segments) replaced.
Webhook URLs keep their secret in the path (Slack, Discord, Teams), bots in a segment
(Telegram), others in `?token=`: none of them reaches a log line."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger("watchkeep.notify.outbound")

HIDDEN = "***"
# A segment shown as is: a short word (`api`, `webhooks`, `sendMessage`, `messages.json`) or
# a version (`v1`, `1`); anything longer or with digits and symbols may be a credential.
_PLAIN_SEGMENT = re.compile(r"^(?:[A-Za-z][A-Za-z.]{0,14}|v?\d{1,2})$")


def redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return HIDDEN
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        netloc = f"{HIDDEN}@{netloc}"
    segments = [s if not s or _PLAIN_SEGMENT.match(s) else HIDDEN for s in parts.path.split("/")]
    shown = f"{parts.scheme}://{netloc}{'/'.join(segments)}"
    keys = [key for key, _ in parse_qsl(parts.query, keep_blank_values=True)]
    if keys:
        shown += "?" + "&".join(f"{key}={HIDDEN}" if _PLAIN_SEGMENT.match(key) else HIDDEN for key in keys)
    return shown


def log_outbound(method: str, url: str, outcome: str, *, ok: bool, latency_ms: int | None = None) -> None:
    """One line per outbound request: at DEBUG when it went through (webhooks may deliver
    every logged event), at INFO when it failed."""
    took = f" in {latency_ms} ms" if latency_ms is not None else ""
    level = logging.DEBUG if ok else logging.INFO
    log.log(level, "outbound %s %s: %s%s", method, redact_url(url), outcome, took)
