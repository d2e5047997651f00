"""The route class every router uses: it wraps routes marked `@idempotent`."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from watchkeep.core.idempotency.service import is_idempotent, run_idempotent


class WatchkeepRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not is_idempotent(self.endpoint):
            return handler

        async def idempotent_handler(request: Request) -> Response:
            return await run_idempotent(request.app.state.hub, request, handler)

        return idempotent_handler


def make_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=WatchkeepRoute, **kwargs)
