"""The endpoint pages: the list with each endpoint's status and sparkline, the create and
edit forms (fields shown per type), and an endpoint's page with its response-time chart,
daily uptime, recent results and errors; the list and the state are live."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from watchkeep.agents.selfmonitor import SELF_AGENT_NAME
from watchkeep.agents.service import AgentService
from watchkeep.core.errors import ErrorCode, WatchkeepError
from watchkeep.core.hub import Hub, HubDep
from watchkeep.endpoints.schemas import AGENT_TYPES, METHODS, RECORD_TYPES, EndpointOut, EndpointWrite
from watchkeep.endpoints.service import RECENT_POINTS, EndpointService, sparklines
from watchkeep.web.fields import lines, pairs
from watchkeep.web.forms import FormInvalid, errors_of, form_data, text, validated
from watchkeep.web.responses import see_other
from watchkeep.web.session import EditorChange, User
from watchkeep.web.sparklines import Frame, polylines
from watchkeep.web.templating import page

router = APIRouter(include_in_schema=False)

TYPES = [
    ("http", "HTTP(S)", "a URL: https://shop.example.com/health"),
    ("tcp", "TCP port", "host:port: db.internal:5432"),
    ("tls", "TLS handshake", "host:port: mail.example.com:465"),
    ("dns", "DNS record", "a name: example.com"),
    ("icmp", "ICMP ping", "a host name or address: 10.0.0.1"),
]
CHECKS = Frame(width=120, height=28, margin=3.0, slots=RECENT_POINTS)


def spark(points: list[dict[str, Any]]) -> dict[str, Any]:
    """The last checks' response times as a sparkline scaled to the largest, filled from the
    right (every endpoint's line has the same time scale), a dot at the newest, and a mark at
    each failed check."""
    values = [p["responseMs"] for p in points]
    lines = polylines(values, top=0.0, frame=CHECKS)
    last = lines[-1].rsplit(" ", 1)[-1].split(",") if lines else None
    return {
        "width": CHECKS.width,
        "height": CHECKS.height,
        "lines": lines,
        "marks": [CHECKS.x(index, len(points)) for index, point in enumerate(points) if not point["up"]],
        "last": last,
    }


async def _rows(hub: Hub) -> list[tuple[EndpointOut, dict[str, Any]]]:
    service = EndpointService(hub)
    lines_by_id = {line["endpointId"]: line for line in await sparklines(hub)}
    return [
        (service.out(row), spark(lines_by_id.get(row.id, {}).get("points", []))) for row in await service.list_all()
    ]


@router.get("/endpoints")
async def endpoints_page(request: Request, user: User, hub: HubDep) -> Response:
    rows = await _rows(hub)
    counts = {status: sum(1 for out, _ in rows if out.status == status) for status in ("up", "down", "unknown")}
    template = "_endpoints.html" if request.query_params.get("fragment") == "list" else "endpoints.html"
    return page(request, template, rows=rows, counts=counts)


def _fields(form: dict[str, Any]) -> dict[str, Any]:
    """The form's fields as the API's JSON body: only the chosen type's section."""
    kind = form.get("type") or "http"
    fields: dict[str, Any] = {
        "name": form.get("name", ""),
        "type": kind,
        "target": form.get("target", ""),
        "intervalSeconds": text(form, "intervalSeconds") or 30,
        "timeoutSeconds": text(form, "timeoutSeconds") or 10,
        "failureThreshold": text(form, "failureThreshold") or 3,
        "recoveryThreshold": text(form, "recoveryThreshold") or 2,
    }
    if "locationRule" in form:
        # One box per place (`locations.hub`, `locations.<agent id>`); none ticked is an error.
        fields["locations"] = [key.split(".", 1)[1] for key in form if key.startswith("locations.")]
        fields["locationRule"] = form["locationRule"]
    if kind == "http":
        fields["http"] = {
            "method": form.get("http.method") or "GET",
            "headers": pairs(form.get("http.headers"), ":"),
            "body": form.get("http.body") or None,
            "expectedStatus": text(form, "http.expectedStatus") or "2xx",
            "bodyContains": form.get("http.bodyContains") or None,
            "jsonPath": lines(form.get("http.jsonPath")),
            "maxResponseMs": text(form, "http.maxResponseMs"),
            "maxRedirects": text(form, "http.maxRedirects") or 5,
            "verifyTls": form.get("http.verifyTls") in ("on", "true", "1"),
            "ipFamily": form.get("http.ipFamily") or "any",
        }
    elif kind == "tls":
        fields["tls"] = {
            "verify": form.get("tls.verify") in ("on", "true", "1"),
            "serverName": text(form, "tls.serverName"),
        }
    elif kind == "dns":
        fields["dns"] = {
            "recordType": form.get("dns.recordType") or "A",
            "expected": text(form, "dns.expected"),
            "nameserver": text(form, "dns.nameserver"),
        }
    return fields


def _values(endpoint: EndpointOut | None) -> dict[str, Any]:
    """The form's values: an endpoint's, or the defaults of a new one."""
    values: dict[str, Any] = {
        "type": "http",
        "intervalSeconds": 30,
        "timeoutSeconds": 10,
        "failureThreshold": 3,
        "recoveryThreshold": 2,
        "http.method": "GET",
        "http.expectedStatus": "2xx",
        "http.maxRedirects": 5,
        "http.verifyTls": "on",
        "http.ipFamily": "any",
        "tls.verify": "on",
        "dns.recordType": "A",
        "locations": ["hub"],
        "locationRule": "any",
    }
    if endpoint is None:
        return values
    values["locations"] = list(endpoint.locations)
    values["locationRule"] = endpoint.location_rule
    dumped = endpoint.model_dump(by_alias=True)
    for key in ("name", "type", "target", "intervalSeconds", "timeoutSeconds", "failureThreshold", "recoveryThreshold"):
        values[key] = dumped[key]
    section = dumped.get(endpoint.type) or {}
    for key, value in section.items():
        name = f"{endpoint.type}.{key}"
        if key == "headers":
            values[name] = "\n".join(f"{k}: {v}" for k, v in value.items())
        elif key == "jsonPath":
            values[name] = "\n".join(value)
        elif isinstance(value, bool):
            values[name] = "on" if value else "off"
        else:
            values[name] = value
    return values


async def _form(
    request: Request,
    hub: Hub,
    status: int,
    endpoint: EndpointOut | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response:
    # Errors about one header (`http.headers.X-Token`) are shown at the headers field, and
    # about one location (`locations[1]`) at the locations.
    shown = {_shown_at(key): message for key, message in errors.items()}
    return page(
        request,
        "endpoint_form.html",
        status,
        endpoint=endpoint,
        values=values,
        errors=shown,
        types=TYPES,
        methods=METHODS,
        record_types=RECORD_TYPES,
        places=await _places(hub, values.get("locations", [])),
        agent_types=AGENT_TYPES,
    )


def _shown_at(field: str) -> str:
    if field.startswith("http.headers."):
        return "http.headers"
    if field.startswith("locations"):
        return "locations"
    return field


def _posted_values(form: dict[str, Any]) -> dict[str, Any]:
    """A posted form shown again: an unticked box is off, not the default."""
    locations = [key.split(".", 1)[1] for key in form if key.startswith("locations.")]
    return {"http.verifyTls": "off", "tls.verify": "off", **form, "locations": locations}


async def _places(hub: Hub, chosen: list[str]) -> list[tuple[str, str]]:
    """Where an endpoint can be checked, by id and name: the hub, every agent but the hubs'
    own (the hub checks for them), and any place chosen that is none of these (an agent
    since deleted), so that the form shows it."""
    facts = await AgentService(hub).overview_facts()
    agents = sorted((row["id"], row["name"]) for row, _ in facts if row["name"] != SELF_AGENT_NAME)
    places = [("hub", "This hub"), *sorted(agents, key=lambda agent: agent[1])]
    known = {place for place, _ in places}
    return places + [(place, place) for place in chosen if place not in known]


@router.get("/endpoints/new")
async def new_endpoint_page(request: Request, user: User, hub: HubDep) -> Response:
    return await _form(request, hub, 200, None, _values(None), {})


@router.post("/endpoints/new")
async def create_endpoint(request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    try:
        created = await EndpointService(hub).create(validated(EndpointWrite, _fields(form)))
    except FormInvalid as exc:
        return await _form(request, hub, 400, None, _posted_values(form), exc.errors)
    except WatchkeepError as exc:
        return await _form(request, hub, exc.status, None, _posted_values(form), errors_of(exc))
    return see_other(f"/endpoints/{created.id}")


async def _endpoint(hub: Hub, endpoint_id: str) -> EndpointOut:
    service = EndpointService(hub)
    return service.out(await service.get(endpoint_id))


@router.get("/endpoints/{endpoint_id}")
async def endpoint_page(endpoint_id: str, request: Request, user: User, hub: HubDep) -> Response:
    service = EndpointService(hub)
    endpoint = await _endpoint(hub, endpoint_id)
    context: dict[str, Any] = {
        "endpoint": endpoint,
        "results": await service.checks(endpoint_id, 30),
        "errors_seen": await service.checks(endpoint_id, 10, "down"),
        "days": await service.daily_uptime(endpoint_id, 90),
    }
    fragment = request.query_params.get("fragment")
    if fragment in ("state", "history"):
        return page(request, f"_endpoint_{fragment}.html", **context)
    return page(request, "endpoint.html", **context)


@router.get("/endpoints/{endpoint_id}/edit")
async def edit_endpoint_page(endpoint_id: str, request: Request, user: User, hub: HubDep) -> Response:
    endpoint = await _endpoint(hub, endpoint_id)
    return await _form(request, hub, 200, endpoint, _values(endpoint), {})


@router.post("/endpoints/{endpoint_id}/edit")
async def edit_endpoint(endpoint_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    endpoint = await _endpoint(hub, endpoint_id)
    try:
        # A form posted without the locations fields keeps the endpoint's.
        fields = {"locations": endpoint.locations, "locationRule": endpoint.location_rule, **_fields(form)}
        await EndpointService(hub).replace(endpoint_id, validated(EndpointWrite, fields))
    except FormInvalid as exc:
        return await _form(request, hub, 400, endpoint, _posted_values(form), exc.errors)
    except WatchkeepError as exc:
        return await _form(request, hub, exc.status, endpoint, _posted_values(form), errors_of(exc))
    return see_other(f"/endpoints/{endpoint_id}")


@router.post("/endpoints/{endpoint_id}/{action}")
async def endpoint_action(endpoint_id: str, action: str, user: EditorChange, hub: HubDep) -> Response:
    service = EndpointService(hub)
    if action == "pause":
        await service.pause(endpoint_id)
    elif action == "resume":
        await service.resume(endpoint_id)
    elif action == "delete":
        await service.delete(endpoint_id)
        return see_other("/endpoints")
    else:
        raise WatchkeepError(ErrorCode.NOT_FOUND, f"No action {action!r}")
    return see_other(f"/endpoints/{endpoint_id}")
