"""Agent credentials.

- the agent token (`wkat_...`): long-lived, shown once when an admin creates the agent,
  sent as `Authorization: Bearer`; only its hash is stored;
- the agent key (`wkak_...`): the `agent_key` of `POST /agent/report`; hash stored;
- the signed token (`wkst.<claims>.<signature>`): what `POST /api/v1/agents/register`
  hands out; HMAC-signed, it names the agent, its token generation and its expiry.

Rotating an agent's token bumps its generation, which retires every credential issued before."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass

from watchkeep.core.ids import new_secret, secret_hash

TOKEN_PREFIX = "wkat"
KEY_PREFIX = "wkak"
SIGNED_PREFIX = "wkst."
AGENT_KEY_PATTERN = re.compile(r"^wkak_[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class AgentCredential:
    """Who presented a credential: the agent and the token generation it was issued for."""

    agent_id: str
    generation: int


@dataclass(frozen=True)
class SignedClaims:
    agent_id: str
    generation: int
    expires_ms: int


def new_token() -> str:
    return new_secret(TOKEN_PREFIX)


def new_agent_key() -> str:
    return new_secret(KEY_PREFIX)


def new_signing_secret() -> str:
    return secrets.token_urlsafe(48)


def hash_of(secret: str) -> str:
    return secret_hash(secret)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: str, claims: str) -> str:
    return _b64(hmac.new(key.encode(), claims.encode(), hashlib.sha256).digest())


def sign(key: str, claims: SignedClaims) -> str:
    body = _b64(json.dumps({"a": claims.agent_id, "g": claims.generation, "e": claims.expires_ms}).encode())
    return f"{SIGNED_PREFIX}{body}.{_signature(key, body)}"


def verify(key: str, token: str) -> SignedClaims | None:
    """The claims of a token this key signed; None for anything else. Expiry is the caller's."""
    if not token.startswith(SIGNED_PREFIX):
        return None
    body, _, signature = token[len(SIGNED_PREFIX) :].partition(".")
    if not body or not hmac.compare_digest(signature, _signature(key, body)):
        return None
    try:
        data = json.loads(_unb64(body))
        return SignedClaims(str(data["a"]), int(data["g"]), int(data["e"]))
    except (ValueError, KeyError, TypeError):
        return None
