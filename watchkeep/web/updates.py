"""The image updates page: each container's verdict by host or by kind, with pin and
exclude buttons, the exclusions, and a button that queues a scan."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from watchkeep.agents.service import AgentService
from watchkeep.core.errors import WatchkeepError
from watchkeep.core.hub import HubDep
from watchkeep.updates.references import DOCKER_HUB
from watchkeep.updates.schemas import ExclusionOut, ExclusionWrite, ScanOut, UpdateOut
from watchkeep.updates.service import UpdateService
from watchkeep.web.forms import FormInvalid, errors_of, form_data, text, validated
from watchkeep.web.responses import see_other
from watchkeep.web.session import EditorChange, User
from watchkeep.web.templating import page

router = APIRouter(include_in_schema=False)

KIND_ORDER = ("major", "minor", "patch", "digest")
STATUS_ORDER = ("available", "error", "pinned", "excluded", "up_to_date", "disabled", "unsupported")


def image_name(item: UpdateOut) -> str:
    """The image's name without tag, as an exclusion names it (`nginx`, `ghcr.io/acme/app`)."""
    if item.registry is None or item.repository is None:
        return item.image
    if item.registry == DOCKER_HUB:
        return item.repository.removeprefix("library/")
    return f"{item.registry}/{item.repository}"


def _groups(items: list[UpdateOut], by: str, hosts: dict[str, str]) -> list[dict[str, Any]]:
    grouped: dict[str, list[UpdateOut]] = {}
    for item in items:
        if by == "kind":
            key = item.update_type if item.status == "available" and item.update_type else item.status
        else:
            key = hosts.get(item.agent_id, item.agent_id)
        grouped.setdefault(key, []).append(item)
    order = (*KIND_ORDER, *STATUS_ORDER)
    keys = sorted(grouped, key=lambda k: (order.index(k) if k in order else len(order), k.lower()))
    if by != "kind":
        keys = sorted(grouped, key=str.lower)

    def rank(item: UpdateOut) -> tuple[int, str]:
        return (STATUS_ORDER.index(item.status) if item.status in STATUS_ORDER else 99, item.name)

    def title(key: str) -> str:
        return key.replace("_", " ") if by == "kind" else key

    return [{"name": title(key), "items": sorted(grouped[key], key=rank)} for key in keys]


@router.get("/updates")
async def updates_page(request: Request, user: User, hub: HubDep) -> Response:
    return await _render(request, hub)


async def _render(
    request: Request, hub: HubDep, status: int = 200, errors: dict[str, str] | None = None, values: Any = None
) -> Response:
    service = UpdateService(hub)
    by = "kind" if request.query_params.get("by") == "kind" else "host"
    hosts = {agent["id"]: agent["name"] for agent, _ in await AgentService(hub).overview_facts()}
    items = [UpdateOut.of(v) for v in await service.verdicts()]
    summary = await service.summary()
    last = summary["last_scan"]
    return page(
        request,
        "updates.html",
        status,
        by=by,
        groups=_groups(items, by, hosts),
        hosts=hosts,
        names={item.container_id: image_name(item) for item in items},
        summary=summary,
        last_scan=None if last is None else ScanOut.of(last),
        exclusions=[ExclusionOut.of(e) for e in await service.exclusions()],
        errors=errors or {},
        values=values or {},
    )


@router.post("/updates/scan")
async def scan_now(request: Request, user: EditorChange, hub: HubDep) -> Response:
    await UpdateService(hub).start_scan("manual")
    return see_other("/updates")


@router.post("/updates/pin/{container_id}")
async def pin(container_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    await UpdateService(hub).pin(container_id)
    return see_other("/updates")


@router.post("/updates/unpin/{container_id}")
async def unpin(container_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    await UpdateService(hub).unpin(container_id)
    return see_other("/updates")


@router.post("/updates/exclusions")
async def exclude(request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    fields = {"image": text(form, "image") or "", "tag": text(form, "tag"), "reason": text(form, "reason")}
    try:
        body = validated(ExclusionWrite, fields)
        await UpdateService(hub).create_exclusion(body.image, body.tag, body.reason)
    except FormInvalid as exc:
        return await _render(request, hub, 400, exc.errors, form)
    except WatchkeepError as exc:
        return await _render(request, hub, exc.status, errors_of(exc), form)
    return see_other("/updates#exclusions")


@router.post("/updates/exclusions/{exclusion_id}/delete")
async def delete_exclusion(exclusion_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    await UpdateService(hub).delete_exclusion(exclusion_id)
    return see_other("/updates")
