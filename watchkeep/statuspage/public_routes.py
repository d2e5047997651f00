"""The public routes, without sign-in: `/status/api`, `/status/events`, the feeds and the
badges (the HTML page `/status` is served by the web UI). Short-lived caching with an ETag:
a client that sends it back in If-None-Match gets 304."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from watchkeep.core.events import Event
from watchkeep.core.events.streams import EventStreamResponse, EventStreams, TypeFilter
from watchkeep.core.http.ratelimit import RateLimit
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import Hub, HubDep
from watchkeep.statuspage import repository as repo
from watchkeep.statuspage.badges import STYLES, badge
from watchkeep.statuspage.feeds import FeedEntry, atom, rss
from watchkeep.statuspage.public import as_json, public_view

MAX_AGE_SECONDS = 10
FEED_ENTRIES = 50
PUBLIC_TYPES = "status.*"

public_rate_limit = Depends(RateLimit("status-page", lambda s: s.status_page_rate_limit_per_minute, by="client"))
router = make_router(tags=["status page (public)"])


def cached(request: Request, body: bytes, media_type: str, *, cors: bool = False) -> Response:
    """`body` with an ETag and a short max-age, or 304 when the client holds it already."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={MAX_AGE_SECONDS}"}
    if cors:
        headers["Access-Control-Allow-Origin"] = "*"
    presented = request.headers.get("if-none-match", "")
    if presented.strip() == "*" or etag in [tag.strip().removeprefix("W/") for tag in presented.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


@router.get("/status/api", dependencies=[public_rate_limit])
async def status_api(request: Request, hub: HubDep) -> Response:
    """The page as JSON: overall status, groups and components with 90 days of uptime,
    incidents, maintenance. Readable from any origin."""
    body = json.dumps(as_json(await public_view(hub)), separators=(",", ":")).encode()
    return cached(request, body, "application/json", cors=True)


async def _feed_entries(hub: Hub) -> list[FeedEntry]:
    async with hub.store.read() as conn:
        return await repo.latest_updates(conn, FEED_ENTRIES)


@router.get("/status/feed.atom", dependencies=[public_rate_limit])
async def atom_feed(request: Request, hub: HubDep) -> Response:
    """Every incident update, newest first (Atom)."""
    view = await public_view(hub)
    body = atom(view.settings, hub.settings.base_url, await _feed_entries(hub), view.generated_at)
    return cached(request, body, "application/atom+xml; charset=utf-8", cors=True)


@router.get("/status/feed.rss", dependencies=[public_rate_limit])
async def rss_feed(request: Request, hub: HubDep) -> Response:
    """Every incident update, newest first (RSS 2.0)."""
    view = await public_view(hub)
    body = rss(view.settings, hub.settings.base_url, await _feed_entries(hub), view.generated_at)
    return cached(request, body, "application/rss+xml; charset=utf-8", cors=True)


@router.get("/status/badge/{slug}.svg", dependencies=[public_rate_limit])
async def status_badge(
    slug: str,
    request: Request,
    hub: HubDep,
    style: str = Query("flat", description="flat | flat-square"),
    label: str | None = Query(None, max_length=60, description="The left-hand text (default: the name)."),
) -> Response:
    """A component's status (`overall` for the whole page) as an SVG badge."""
    shape = style if style in STYLES else "flat"
    view = await public_view(hub)
    if slug == "overall":
        body = badge(label or view.settings.title, view.status, shape)
        return cached(request, body.encode(), "image/svg+xml", cors=True)
    component = view.component(slug)
    if component is None:
        svg = badge(label or slug[:60], "unknown", shape)
        return Response(svg, status_code=404, media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})
    return cached(request, badge(label or component.name, component.status, shape).encode(), "image/svg+xml", cors=True)


def _snapshot(hub_view: dict[str, object]) -> bytes:
    data = json.dumps({"type": "status.snapshot", "data": hub_view}, separators=(",", ":"))
    return f"event: status.snapshot\ndata: {data}\n\n".encode()


# Not in the OpenAPI document: a stream that never ends is no operation a client generator
# can call (docs/api.md and docs/status-page.md describe it).
@router.get("/status/events", dependencies=[public_rate_limit], include_in_schema=False)
async def status_events(request: Request, hub: HubDep) -> Response:
    """Server-sent events: first `status.snapshot` (the page as `/status/api` has it), then
    every `status.*` event as it happens. Reconnecting with Last-Event-ID starts with a
    fresh snapshot and goes live (public clients need no replay)."""
    streams: EventStreams = request.app.state.event_streams
    client = streams.connect(TypeFilter(PUBLIC_TYPES, Event.types()))
    snapshot = _snapshot(as_json(await public_view(hub)))

    async def frames() -> AsyncIterator[bytes]:
        yield snapshot
        async for frame in streams.frames(client, None):
            yield frame

    stall = max(2 * hub.settings.sse_keepalive_seconds, 1.0)
    response = EventStreamResponse(frames(), stall_seconds=stall, on_close=lambda: streams.disconnect(client))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
