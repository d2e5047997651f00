"""The agent's side of the hub API: register with an API key (and renew the token before it
expires), push a payload with its Idempotency-Key, fetch the agent config."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal

import httpx2
import msgspec

from watchkeep import __version__
from watchkeep.protocol.ingest import AgentConfig

log = logging.getLogger("watchkeep.agent")

INGEST_PATH = "/api/metrics/ingest"
CONFIG_PATH = "/api/agent/config"
REGISTER_PATH = "/api/v1/agents/register"


@dataclass(frozen=True)
class PushOutcome:
    """`delivered`; `retry` (hub unreachable, 5xx, 429, a replay still in progress) after at
    least `retry_after` seconds when the hub said so; `rejected` (any other 4xx) with the
    hub's message: that payload is not sent again."""

    kind: Literal["delivered", "retry", "rejected"]
    status: int | None = None
    message: str = ""
    retry_after: float | None = None


def parse_retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(parsedate_to_datetime(value).timestamp() - now, 0.0)
    except (TypeError, ValueError, IndexError):
        return None


def _hub_message(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            parts = [str(error.get(k)) for k in ("code", "message") if error.get(k)]
            if error.get("field"):
                parts.append(f"(field {error['field']})")
            return " ".join(parts) or response.text[:300]
    return response.text[:300]


class RegistrationError(Exception):
    pass


@dataclass
class Registration:
    agent_id: str
    token: str
    expires_at: float
    renew_at: float
    push_interval_seconds: float | None


class HubClient:
    def __init__(
        self,
        hub_url: str,
        *,
        token: str = "",
        api_key: str = "",
        name: str = "",
        timeout: float = 10.0,
        now: Callable[[], float] = time.time,
        transport: httpx2.AsyncBaseTransport | None = None,
        registration_file: Path | None = None,
    ) -> None:
        self._client = httpx2.AsyncClient(base_url=hub_url, timeout=timeout, transport=transport)
        self._registration_file = registration_file
        self._token = token or self._remembered_token()
        self._api_key = api_key
        self._name = name or socket.gethostname()
        self._now = now
        self.registration: Registration | None = None

    async def aclose(self) -> None:
        await self._client.aclose()

    @property
    def uses_api_key(self) -> bool:
        return bool(self._api_key)

    def _remembered_token(self) -> str:
        """The token of the last registration, kept so a restarted agent can prove to the hub
        that it is the agent registered under its name (an API key alone only enrols new ones)."""
        if self._registration_file is None:
            return ""
        try:
            data = json.loads(self._registration_file.read_text())
        except (OSError, ValueError):
            return ""
        token = data.get("token") if isinstance(data, dict) else None
        return token if isinstance(token, str) else ""

    def _remember(self, registration: Registration) -> None:
        if self._registration_file is None:
            return
        path = self._registration_file
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".tmp")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump({"agentId": registration.agent_id, "token": registration.token}, handle)
            os.replace(partial, path)
        except OSError as exc:
            log.warning("registration not kept in %s: %s", path, exc)

    async def register(self) -> Registration:
        body = {
            "name": self._name,
            "version": __version__,
            "platform": "linux",
            "hostname": socket.gethostname(),
        }
        headers = {"X-API-Key": self._api_key}
        if self._token:
            # The hub re-registers an existing agent only for a caller proving it is that agent.
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = await self._client.post(REGISTER_PATH, json=body, headers=headers)
        except httpx2.HTTPError as exc:
            raise RegistrationError(f"hub unreachable: {exc or type(exc).__name__}") from exc
        if response.status_code != 200 and response.status_code != 201:
            raise RegistrationError(f"registration refused ({response.status_code}): {_hub_message(response)}")
        data = response.json()
        interval = data.get("pushIntervalSeconds")
        lifetime = float(data.get("tokenExpiresIn") or 3600)
        self.registration = Registration(
            agent_id=str(data["agentId"]),
            token=str(data["token"]),
            expires_at=self._now() + lifetime,
            renew_at=self._now() + 0.8 * lifetime,
            push_interval_seconds=float(interval) if interval else None,
        )
        self._token = self.registration.token
        self._remember(self.registration)
        log.info("registered with the hub as %s", self.registration.agent_id)
        return self.registration

    def _token_due(self) -> bool:
        """Renew at 80 % of the token's lifetime, before the hub starts refusing it."""
        if not self._api_key:
            return False
        return self.registration is None or self._now() >= self.registration.renew_at

    async def _auth(self) -> dict[str, str]:
        if self._token_due():
            await self.register()
        return {"Authorization": f"Bearer {self._token}"}

    async def push(self, body: bytes, key: str) -> PushOutcome:
        try:
            headers = await self._auth()
        except RegistrationError as exc:
            return PushOutcome("retry", message=str(exc))
        headers.update({"Content-Type": "application/json", "Idempotency-Key": key})
        try:
            response = await self._client.post(INGEST_PATH, content=body, headers=headers)
            if response.status_code == 401 and self._api_key:
                await self.register()  # the token expired early or the hub forgot it
                headers["Authorization"] = f"Bearer {self._token}"
                response = await self._client.post(INGEST_PATH, content=body, headers=headers)
        except RegistrationError as exc:
            return PushOutcome("retry", message=str(exc))
        except httpx2.HTTPError as exc:
            return PushOutcome("retry", message=f"hub unreachable: {exc or type(exc).__name__}")
        status = response.status_code
        if 200 <= status < 300:
            return PushOutcome("delivered", status)
        retry_after = parse_retry_after(response.headers.get("Retry-After"), self._now())
        message = _hub_message(response)
        if status >= 500 or status == 429 or (status == 409 and "IDEMPOTENCY_KEY_REUSED" not in message):
            return PushOutcome("retry", status, message, retry_after)
        return PushOutcome("rejected", status, message)

    async def fetch_config(self) -> AgentConfig | None:
        """The hub's config for this agent; None when it cannot be had right now."""
        try:
            headers = await self._auth()
            response = await self._client.get(CONFIG_PATH, headers=headers)
        except (httpx2.HTTPError, RegistrationError) as exc:
            log.debug("agent config not fetched: %s", exc)
            return None
        if response.status_code != 200:
            log.warning("agent config refused (%s): %s", response.status_code, _hub_message(response))
            return None
        try:
            return msgspec.json.decode(response.content, type=AgentConfig)
        except msgspec.ValidationError as exc:
            log.warning("agent config not understood: %s", exc)
            return None
