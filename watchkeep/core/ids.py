"""Identifiers and secrets."""

from __future__ import annotations

import hashlib
import secrets


def new_id(prefix: str) -> str:
    """A random identifier with a type prefix, e.g. `usr_3f9a...`."""
    return f"{prefix}_{secrets.token_hex(12)}"


def new_secret(prefix: str) -> str:
    """A bearer secret to show once; only its hash is stored."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def secret_hash(secret: str) -> str:
    """Hash of a high-entropy secret (API key, agent key, session id), for lookups.

    These secrets carry 256 random bits, so a fast hash is as safe as a slow one and lets
    every request find its key with one indexed lookup."""
    return hashlib.sha256(secret.encode()).hexdigest()
