"""Rate limits as route dependencies: `Depends(RateLimit("login", per_minute, by="client"))`.

`by` chooses whose budget a request spends: the client address, the authenticated caller
(`request.state.principal`), or the agent (`request.state.agent_id`, set by agent auth)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import Request

from watchkeep.core.config import Settings
from watchkeep.core.errors import rate_limited
from watchkeep.core.http.client import client_address
from watchkeep.core.hub import HubDep


class RateLimit:
    def __init__(
        self,
        name: str,
        per_minute: Callable[[Settings], int],
        *,
        by: Literal["client", "principal", "agent"] = "client",
    ) -> None:
        self.name = name
        self.per_minute = per_minute
        self.by = by

    def _key(self, request: Request, settings: Settings) -> str:
        if self.by == "principal" and (principal := getattr(request.state, "principal", None)) is not None:
            return str(principal.subject)
        if self.by == "agent" and (agent_id := getattr(request.state, "agent_id", None)) is not None:
            return f"agent:{agent_id}"
        return f"client:{client_address(request, settings.trusted_proxies)}"

    async def __call__(self, request: Request, hub: HubDep) -> None:
        assert hub.limiter is not None
        wait = hub.limiter.hit(self.name, self._key(request, hub.settings), self.per_minute(hub.settings))
        if wait:
            raise rate_limited(wait)
