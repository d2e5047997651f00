"""The alert thresholds form of a container's and a host's page. It posts the API's fields
under their JSON names (`cpuPercent.threshold`); a refused form is shown again with each
error next to its field."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from watchkeep.agents.service import AgentService
from watchkeep.containers.service import ContainerService
from watchkeep.core.errors import WatchkeepError
from watchkeep.core.hub import Hub, HubDep
from watchkeep.resources.schemas import ContainerThresholds, HostThresholds
from watchkeep.resources.thresholds import CAMEL, CONTAINER, HOST, METRICS, ThresholdService
from watchkeep.web.forms import FormInvalid, errors_of, form_data, text, validated
from watchkeep.web.responses import see_other
from watchkeep.web.session import EditorChange
from watchkeep.web.templating import page

router = APIRouter(include_in_schema=False)

FIELDS = ("threshold", "breachSamples", "recoverSamples")


def body_of(form: dict[str, Any], kind: str) -> dict[str, Any]:
    """The API's body from the form: a metric with every field empty has no threshold."""
    body: dict[str, Any] = {}
    for metric in (CAMEL[m] for m in METRICS[kind]):
        given = {name: text(form, f"{metric}.{name}") for name in FIELDS}
        body[metric] = None if given["threshold"] is None else {k: v for k, v in given.items() if v is not None}
    return body


async def context(hub: Hub, kind: str, subject_id: str, action: str) -> dict[str, Any]:
    """What `_thresholds.html` needs on a page."""
    return {"thresholds": await ThresholdService(hub).get(kind, subject_id), "threshold_action": action}


async def _save(
    request: Request, hub: Hub, kind: str, subject_id: str, agent_id: str, name: str, back: str
) -> Response:
    form = await form_data(request)
    model = ContainerThresholds if kind == CONTAINER else HostThresholds
    action = request.scope["path"]
    try:
        body = validated(model, body_of(form, kind))
        await ThresholdService(hub).put(kind, subject_id, agent_id, name, body)
    except FormInvalid as exc:
        errors, status = exc.errors, 400
    except WatchkeepError as exc:
        errors, status = errors_of(exc), exc.status
    else:
        return see_other(f"{back}#thresholds")
    return page(
        request,
        "thresholds_form.html",
        status,
        subject_name=name,
        back=back,
        threshold_values=form,
        threshold_errors=errors,
        **await context(hub, kind, subject_id, action),
    )


@router.post("/containers/{container_id}/thresholds")
async def save_container_thresholds(container_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    row = await ContainerService(hub).get(container_id)
    back = f"/containers/{container_id}"
    return await _save(request, hub, CONTAINER, container_id, row["agent_id"], row["name"], back)


@router.post("/hosts/{agent_id}/thresholds")
async def save_host_thresholds(agent_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    row = await AgentService(hub).get_row(agent_id)
    return await _save(request, hub, HOST, agent_id, agent_id, row["name"], f"/hosts/{agent_id}")
