"""The certificate pages: every monitor by days left with its status, a monitor's page with
its chain and check history, and the form for standalone monitors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from watchkeep.certificates.schemas import CertificateDetailOut, CertificateOut, CertificateWrite, CheckOut
from watchkeep.certificates.service import DEFAULT_INTERVAL_SECONDS, DEFAULT_THRESHOLDS, CertificateService
from watchkeep.core.errors import WatchkeepError
from watchkeep.core.hub import HubDep
from watchkeep.web.forms import FormInvalid, errors_of, form_data, text, validated
from watchkeep.web.responses import see_other
from watchkeep.web.session import EditorChange, User
from watchkeep.web.templating import page

router = APIRouter(include_in_schema=False)


@router.get("/certificates")
async def certificates_page(request: Request, user: User, hub: HubDep) -> Response:
    service = CertificateService(hub)
    now = hub.clock.now_ms()
    monitors = [CertificateOut.of(m, service.status_of(m), now) for m in await service.list_all()]
    return page(request, "certificates.html", monitors=monitors)


def _fields(form: dict[str, Any]) -> dict[str, Any]:
    """The form's fields as the API's JSON body."""
    thresholds = [part.strip() for part in (form.get("thresholdsDays") or "").split(",") if part.strip()]
    fields: dict[str, Any] = {
        "host": text(form, "host") or "",
        "port": text(form, "port") or 443,
        "sni": text(form, "sni"),
        "intervalSeconds": text(form, "intervalSeconds") or DEFAULT_INTERVAL_SECONDS,
    }
    if thresholds:
        fields["thresholdsDays"] = thresholds
    return fields


def _values(monitor: CertificateOut | None) -> dict[str, Any]:
    if monitor is None:
        return {
            "port": 443,
            "intervalSeconds": DEFAULT_INTERVAL_SECONDS,
            "thresholdsDays": ", ".join(map(str, DEFAULT_THRESHOLDS)),
        }
    values = monitor.model_dump(by_alias=True)
    values["thresholdsDays"] = ", ".join(map(str, monitor.thresholds_days))
    return values


@router.get("/certificates/new")
async def new_certificate_page(request: Request, user: User) -> Response:
    return page(request, "certificate_form.html", monitor=None, values=_values(None), errors={})


@router.post("/certificates/new")
async def create_certificate(request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    try:
        body = validated(CertificateWrite, _fields(form))
        created = await CertificateService(hub).create(body.to_row())
    except FormInvalid as exc:
        return page(request, "certificate_form.html", 400, monitor=None, values=form, errors=exc.errors)
    except WatchkeepError as exc:
        return page(request, "certificate_form.html", exc.status, monitor=None, values=form, errors=errors_of(exc))
    return see_other(f"/certificates/{created.id}")


async def _detail(hub: HubDep, certificate_id: str) -> CertificateDetailOut:
    service = CertificateService(hub)
    monitor, check = await service.get(certificate_id)
    return CertificateDetailOut.with_check(monitor, service.status_of(monitor), hub.clock.now_ms(), check)


@router.get("/certificates/{certificate_id}")
async def certificate_page(certificate_id: str, request: Request, user: User, hub: HubDep) -> Response:
    monitor = await _detail(hub, certificate_id)
    history = [CheckOut.of(check) for check in await CertificateService(hub).checks(certificate_id, 50)]
    return page(request, "certificate.html", monitor=monitor, history=history)


@router.get("/certificates/{certificate_id}/edit")
async def edit_certificate_page(certificate_id: str, request: Request, user: User, hub: HubDep) -> Response:
    monitor = await _detail(hub, certificate_id)
    return page(request, "certificate_form.html", monitor=monitor, values=_values(monitor), errors={})


@router.post("/certificates/{certificate_id}/edit")
async def edit_certificate(certificate_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    monitor = await _detail(hub, certificate_id)
    try:
        body = validated(CertificateWrite, _fields(form))
        await CertificateService(hub).replace(certificate_id, body.to_row())
    except FormInvalid as exc:
        return page(request, "certificate_form.html", 400, monitor=monitor, values=form, errors=exc.errors)
    except WatchkeepError as exc:
        return page(request, "certificate_form.html", exc.status, monitor=monitor, values=form, errors=errors_of(exc))
    return see_other(f"/certificates/{certificate_id}")


@router.post("/certificates/{certificate_id}/delete")
async def delete_certificate(certificate_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    await CertificateService(hub).delete(certificate_id)
    return see_other("/certificates")
