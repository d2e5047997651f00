"""`GET /api/v1/events` and `GET /api/v1/containers/events`: the server-sent event stream."""

from __future__ import annotations

from fastapi import Header, Query, Request
from fastapi.responses import Response

from watchkeep.core.auth.deps import CanRead
from watchkeep.core.events import Event
from watchkeep.core.events.streams import EventStreamResponse, EventStreams, TypeFilter, parse_last_event_id
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep

router = make_router(prefix="/api/v1", tags=["events"])

_DESCRIPTION = (
    "Server-sent events: frames with `id:` (the event log id; live-only events have none), `event:` (the type) "
    'and `data:` (`{"id", "type", "timestamp", "data"}`). `Last-Event-ID` (or `?lastEventId=`) replays every '
    "logged event after it, then the stream goes live. `?types=` filters by exact names and `prefix.*`. A client "
    "that falls too far behind gets a final `event: overflow` frame and is closed."
)
_STREAM_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "The event stream."}
}


@router.get("/events", response_class=Response, responses=_STREAM_RESPONSES, description=_DESCRIPTION)
@router.get("/containers/events", response_class=Response, responses=_STREAM_RESPONSES, description=_DESCRIPTION)
async def events(
    _: CanRead,
    request: Request,
    hub: HubDep,
    types: str | None = Query(None, description="Comma-separated event types or prefixes (`heartbeat.*`)."),
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
    last_event_id_query: str | None = Query(None, alias="lastEventId"),
) -> Response:
    streams: EventStreams = request.app.state.event_streams
    wanted = TypeFilter(types, Event.types())
    after = parse_last_event_id(last_event_id, last_event_id_query)
    # A client that accepts nothing for two keep-alive periods is gone.
    stall = max(2 * hub.settings.sse_keepalive_seconds, 1.0)
    client = streams.connect(wanted)
    return EventStreamResponse(
        streams.frames(client, after), stall_seconds=stall, on_close=lambda: streams.disconnect(client)
    )
