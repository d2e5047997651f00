"""`/api/v1/certificates`: certificate monitors and their check history."""

from __future__ import annotations

from fastapi import Query, Response

from watchkeep.certificates.repository import Monitor
from watchkeep.certificates.schemas import CertificateDetailOut, CertificateOut, CertificateWrite, CheckOut
from watchkeep.certificates.service import CertificateService
from watchkeep.core.auth.deps import CanRead, CanWrite
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.core.idempotency.service import idempotent

router = make_router(prefix="/api/v1/certificates", tags=["certificates"])


def _out(hub: HubDep, monitor: Monitor) -> CertificateOut:
    return CertificateOut.of(monitor, CertificateService(hub).status_of(monitor), hub.clock.now_ms())


@router.get("", response_model=list[CertificateOut])
async def list_certificates(_: CanRead, hub: HubDep) -> list[CertificateOut]:
    """Soonest expiry first."""
    return [_out(hub, monitor) for monitor in await CertificateService(hub).list_all()]


@router.post("", response_model=CertificateOut, status_code=201)
@idempotent
async def create_certificate(body: CertificateWrite, _: CanWrite, hub: HubDep) -> CertificateOut:
    return _out(hub, await CertificateService(hub).create(body.to_row()))


@router.get("/{certificate_id}", response_model=CertificateDetailOut)
async def get_certificate(certificate_id: str, _: CanRead, hub: HubDep) -> CertificateDetailOut:
    service = CertificateService(hub)
    monitor, check = await service.get(certificate_id)
    return CertificateDetailOut.with_check(monitor, service.status_of(monitor), hub.clock.now_ms(), check)


@router.put("/{certificate_id}", response_model=CertificateOut)
async def replace_certificate(certificate_id: str, body: CertificateWrite, _: CanWrite, hub: HubDep) -> CertificateOut:
    return _out(hub, await CertificateService(hub).replace(certificate_id, body.to_row()))


@router.delete("/{certificate_id}", status_code=204)
async def delete_certificate(certificate_id: str, _: CanWrite, hub: HubDep) -> Response:
    await CertificateService(hub).delete(certificate_id)
    return Response(status_code=204)


@router.get("/{certificate_id}/checks", response_model=list[CheckOut])
async def list_checks(
    certificate_id: str, _: CanRead, hub: HubDep, limit: int = Query(100, ge=1, le=1000)
) -> list[CheckOut]:
    return [CheckOut.of(check) for check in await CertificateService(hub).checks(certificate_id, limit)]
