"""API models of image updates: verdicts, the summary, scans, the dry run, pins, exclusions."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from watchkeep.core.clock import rfc3339
from watchkeep.core.errors import validation_error
from watchkeep.core.schemas import ApiModel, WriteModel
from watchkeep.updates.detect import Plan
from watchkeep.updates.repository import Exclusion, Pin, Scan, Verdict

Status = Literal["available", "up_to_date", "pinned", "excluded", "disabled", "unsupported", "error"]
UpdateType = Literal["major", "minor", "patch", "digest"]


class UpdateOut(ApiModel):
    container_id: str
    agent_id: str
    name: str
    image: str
    registry: str | None
    repository: str | None
    platform: str | None
    status: str
    update_type: str | None
    current_tag: str | None
    current_digest: str | None
    latest_tag: str | None
    latest_digest: str | None
    source_url: str | None
    changelog_url: str | None
    error: str | None
    checked_at: str | None
    detected_at: str | None
    scan_id: str | None

    @classmethod
    def of(cls, v: Verdict) -> UpdateOut:
        return cls(
            container_id=v.container_id,
            agent_id=v.agent_id,
            name=v.name,
            image=v.image,
            registry=v.registry,
            repository=v.repository,
            platform=v.platform,
            status=v.status,
            update_type=v.update_type,
            current_tag=v.tag,
            current_digest=v.current_digest,
            latest_tag=v.latest_tag,
            latest_digest=v.latest_digest,
            source_url=v.source_url,
            changelog_url=v.changelog_url,
            error=v.error,
            checked_at=rfc3339(v.checked_at),
            detected_at=rfc3339(v.detected_at),
            scan_id=v.scan_id,
        )


class ScanOut(ApiModel):
    id: str
    trigger: str
    status: str
    total: int
    checked: int
    progress: float = Field(description="Share of the containers checked, 0 to 1.")
    found: int
    errors: int
    error: str | None
    created_at: str | None
    started_at: str | None
    finished_at: str | None

    @classmethod
    def of(cls, s: Scan) -> ScanOut:
        done = s.status in ("completed", "failed")
        progress = 1.0 if s.status == "completed" else (s.checked / s.total if s.total else (1.0 if done else 0.0))
        return cls(
            id=s.id,
            trigger=s.trigger,
            status=s.status,
            total=s.total,
            checked=s.checked,
            progress=round(progress, 4),
            found=s.found,
            errors=s.errors,
            error=s.error,
            created_at=rfc3339(s.created_at),
            started_at=rfc3339(s.started_at),
            finished_at=rfc3339(s.finished_at),
        )


class SummaryOut(ApiModel):
    total: int
    available: int
    by_status: dict[str, int]
    by_type: dict[str, int]
    by_agent: dict[str, int]
    last_scan: ScanOut | None

    @classmethod
    def of(cls, summary: dict[str, Any]) -> SummaryOut:
        last = summary["last_scan"]
        return cls(**{**summary, "last_scan": None if last is None else ScanOut.of(last)})


class PlannedOut(ApiModel):
    container_id: str
    agent_id: str
    name: str
    image: str
    registry: str | None
    repository: str | None
    tag: str | None
    method: str | None = Field(description="semver (tag list) or digest (manifest); null: not checked.")
    status: str | None = Field(description="The verdict a container that is not checked gets.")
    reason: str | None

    @classmethod
    def of(cls, p: Plan) -> PlannedOut:
        ref, t = p.ref, p.target
        return cls(
            container_id=t.container_id,
            agent_id=t.agent_id,
            name=t.name,
            image=t.image,
            registry=None if ref is None else ref.registry,
            repository=None if ref is None else ref.repository,
            tag=None if ref is None else ref.tag,
            method=p.method,
            status=p.status,
            reason=p.reason,
        )


class DryRunOut(ApiModel):
    containers: list[PlannedOut]
    checked: int
    skipped: int
    tag_lists: int = Field(description="Tag lists a scan would read (one per repository checked by semver).")
    manifests: int = Field(description="Manifests a scan would ask for (one per repository and floating tag).")
    registries: list[str]

    @classmethod
    def of(cls, plans: list[Plan]) -> DryRunOut:
        checked = [p for p in plans if p.checked and p.ref is not None]
        tag_lists = {(p.ref.api_host, p.ref.repository) for p in checked if p.ref and p.method == "semver"}
        manifests = {(p.ref.api_host, p.ref.repository, p.ref.tag) for p in checked if p.ref and p.method == "digest"}
        return cls(
            containers=[PlannedOut.of(p) for p in plans],
            checked=len(checked),
            skipped=len(plans) - len(checked),
            tag_lists=len(tag_lists),
            manifests=len(manifests),
            registries=sorted({p.ref.registry for p in checked if p.ref}),
        )


class PinOut(ApiModel):
    container_id: str
    image: str
    tag: str | None
    digest: str | None
    created_at: str | None

    @classmethod
    def of(cls, p: Pin) -> PinOut:
        return cls(
            container_id=p.container_id, image=p.image, tag=p.tag, digest=p.digest, created_at=rfc3339(p.created_at)
        )


class VersionOut(ApiModel):
    tag: str | None
    digest: str | None


class ContainerUpdateOut(ApiModel):
    container_id: str
    name: str
    agent_id: str
    image: str
    status: str = Field(description="The latest scan's verdict; `unchecked` before the first.")
    kind: str | None = Field(description="major, minor, patch or digest while an update is available.")
    current: VersionOut
    latest: VersionOut | None
    source_url: str | None
    changelog_url: str | None
    error: str | None
    checked_at: str | None
    detected_at: str | None
    pin: PinOut | None


class ExclusionWrite(WriteModel):
    """Containers whose image (and tag, when given) matches these shell-style globs are not
    checked: `nginx`, `ghcr.io/acme/*`, tag `*-rc*`."""

    readonly_fields: ClassVar[frozenset[str]] = frozenset({"id", "createdAt"})

    image: str = Field(min_length=1, max_length=255)
    tag: str | None = Field(None, min_length=1, max_length=128)
    reason: str | None = Field(None, max_length=500)

    @field_validator("image", "tag")
    @classmethod
    def _glob(cls, value: str | None, info: Any) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value or any(ch.isspace() for ch in value):
            raise validation_error(f"{info.field_name}: a glob without spaces", info.field_name)
        if value.count("[") != value.count("]"):
            raise validation_error(f"{info.field_name}: unbalanced [ ] in the glob", info.field_name)
        return value


class ExclusionOut(ApiModel):
    id: str
    image: str
    tag: str | None
    reason: str | None
    created_at: str | None

    @classmethod
    def of(cls, e: Exclusion) -> ExclusionOut:
        return cls(id=e.id, image=e.image, tag=e.tag, reason=e.reason, created_at=rfc3339(e.created_at))
