"""`/api/v1/updates`: image updates of the containers, scans, the dry run, pins and exclusions."""

from __future__ import annotations

from fastapi import Query, Response

from watchkeep.core.auth.deps import CanRead, CanWrite
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.updates.schemas import (
    ContainerUpdateOut,
    DryRunOut,
    ExclusionOut,
    ExclusionWrite,
    PinOut,
    ScanOut,
    Status,
    SummaryOut,
    UpdateOut,
    UpdateType,
    VersionOut,
)
from watchkeep.updates.service import UpdateService

router = make_router(prefix="/api/v1/updates", tags=["updates"])


@router.get("", response_model=list[UpdateOut])
async def list_updates(
    _: CanRead,
    hub: HubDep,
    status: Status | None = Query(None),
    update_type: UpdateType | None = Query(None),
) -> list[UpdateOut]:
    """The latest scan's verdict on each container (all of them unless `status` says which)."""
    return [UpdateOut.of(v) for v in await UpdateService(hub).verdicts(status=status, update_type=update_type)]


@router.get("/summary", response_model=SummaryOut)
async def summary(_: CanRead, hub: HubDep) -> SummaryOut:
    return SummaryOut.of(await UpdateService(hub).summary())


@router.post("/scan", response_model=ScanOut, status_code=202)
async def start_scan(_: CanWrite, hub: HubDep, response: Response) -> ScanOut:
    """Queue a scan (202); while one is queued or running, that one is answered (200)."""
    scan, created = await UpdateService(hub).start_scan("manual")
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/updates/scan/{scan.id}"
    return ScanOut.of(scan)


@router.get("/scan/{scan_id}", response_model=ScanOut)
async def get_scan(scan_id: str, _: CanRead, hub: HubDep) -> ScanOut:
    return ScanOut.of(await UpdateService(hub).scan(scan_id))


@router.get("/dry-run", response_model=DryRunOut)
async def dry_run(_: CanRead, hub: HubDep) -> DryRunOut:
    """What a scan would check now and how, without asking any registry."""
    return DryRunOut.of(await UpdateService(hub).plans())


@router.get("/container/{container_id}", response_model=ContainerUpdateOut)
async def container_update(container_id: str, _: CanRead, hub: HubDep) -> ContainerUpdateOut:
    row, verdict, pin = await UpdateService(hub).container(container_id)
    image = row["image"] or ""
    if verdict is None:
        return ContainerUpdateOut(
            container_id=container_id,
            name=row["name"],
            agent_id=row["agent_id"],
            image=image,
            status="pinned" if pin is not None else "unchecked",
            kind=None,
            current=VersionOut(tag=None if pin is None else pin.tag, digest=None if pin is None else pin.digest),
            latest=None,
            source_url=None,
            changelog_url=None,
            error=None,
            checked_at=None,
            detected_at=None,
            pin=None if pin is None else PinOut.of(pin),
        )
    out = UpdateOut.of(verdict)
    latest = VersionOut(tag=out.latest_tag, digest=out.latest_digest) if out.status == "available" else None
    return ContainerUpdateOut(
        container_id=container_id,
        name=row["name"],
        agent_id=row["agent_id"],
        image=image,
        status=out.status,
        kind=out.update_type if out.status == "available" else None,
        current=VersionOut(tag=out.current_tag, digest=out.current_digest),
        latest=latest,
        source_url=out.source_url,
        changelog_url=out.changelog_url,
        error=out.error,
        checked_at=out.checked_at,
        detected_at=out.detected_at,
        pin=None if pin is None else PinOut.of(pin),
    )


@router.post("/pin/{container_id}", response_model=PinOut)
async def pin(container_id: str, _: CanWrite, hub: HubDep) -> PinOut:
    """Pin the version the container runs now: no update is told for it until unpinned."""
    return PinOut.of(await UpdateService(hub).pin(container_id))


@router.delete("/pin/{container_id}", status_code=204)
async def unpin(container_id: str, _: CanWrite, hub: HubDep) -> Response:
    await UpdateService(hub).unpin(container_id)
    return Response(status_code=204)


@router.get("/exclusions", response_model=list[ExclusionOut])
async def list_exclusions(_: CanRead, hub: HubDep) -> list[ExclusionOut]:
    return [ExclusionOut.of(e) for e in await UpdateService(hub).exclusions()]


@router.post("/exclusions", response_model=ExclusionOut, status_code=201)
async def create_exclusion(body: ExclusionWrite, _: CanWrite, hub: HubDep) -> ExclusionOut:
    return ExclusionOut.of(await UpdateService(hub).create_exclusion(body.image, body.tag, body.reason))


@router.delete("/exclusions/{id}", status_code=204)
async def delete_exclusion(id: str, _: CanWrite, hub: HubDep) -> Response:
    await UpdateService(hub).delete_exclusion(id)
    return Response(status_code=204)
