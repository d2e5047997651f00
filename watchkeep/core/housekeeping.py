"""Removes what has expired: login sessions and stored idempotent responses. Deleting is
idempotent, so every replica may run it."""

from __future__ import annotations

from watchkeep.core.auth.service import AuthService
from watchkeep.core.hub import Hub
from watchkeep.core.idempotency.service import delete_expired


async def housekeeping_step(hub: Hub) -> bool:
    await AuthService(hub).delete_expired_sessions()
    await delete_expired(hub)
    return False
