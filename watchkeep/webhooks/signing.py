"""Webhook signatures: `X-Watchkeep-Signature: sha256=<hex HMAC-SHA256(secret,
timestamp + "." + body)>`, where the timestamp is the `X-Watchkeep-Timestamp` header (Unix
seconds) and the body the exact bytes sent."""

from __future__ import annotations

import hashlib
import hmac

EVENT_HEADER = "X-Watchkeep-Event"
TIMESTAMP_HEADER = "X-Watchkeep-Timestamp"
SIGNATURE_HEADER = "X-Watchkeep-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, event_type: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        EVENT_HEADER: event_type,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
