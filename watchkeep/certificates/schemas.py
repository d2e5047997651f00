"""API models of certificate monitors and their checks."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, ClassVar

from pydantic import Field, field_validator

from watchkeep.certificates.repository import Check, Monitor
from watchkeep.certificates.service import DEFAULT_INTERVAL_SECONDS, DEFAULT_PORT, DEFAULT_THRESHOLDS
from watchkeep.certificates.status import days_left
from watchkeep.core.clock import rfc3339
from watchkeep.core.errors import validation_error
from watchkeep.core.schemas import ApiModel, WriteModel

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
MIN_INTERVAL = 60
MAX_INTERVAL = 30 * 86_400


def _is_hostname(value: str) -> bool:
    labels = value.rstrip(".").split(".")
    return len(value) <= 253 and all(_LABEL.match(label) for label in labels)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class CertificateWrite(WriteModel):
    """The writable fields of a standalone monitor (POST creates, PUT replaces them all)."""

    readonly_fields: ClassVar[frozenset[str]] = frozenset(
        {"id", "source", "status", "daysLeft", "notBefore", "notAfter", "lastCheckedAt", "createdAt", "updatedAt"}
    )

    host: str = Field(min_length=1, max_length=253)
    port: int = Field(DEFAULT_PORT, ge=1, le=65535)
    sni: str | None = Field(None, min_length=1, max_length=253)
    interval_seconds: int = Field(DEFAULT_INTERVAL_SECONDS, ge=MIN_INTERVAL, le=MAX_INTERVAL)
    thresholds_days: list[int] = Field(default_factory=lambda: list(DEFAULT_THRESHOLDS), max_length=10)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not (_is_ip(value) or _is_hostname(value)):
            raise validation_error("host: a host name or an IP address, without scheme or port", "host")
        return value.lower()

    @field_validator("sni")
    @classmethod
    def _sni(cls, value: str | None) -> str | None:
        if value is not None and (_is_ip(value) or not _is_hostname(value)):
            raise validation_error("sni: a host name (server name indication carries no IP address)", "sni")
        return None if value is None else value.lower()

    @field_validator("thresholds_days")
    @classmethod
    def _thresholds(cls, value: list[int]) -> list[int]:
        if not value:
            raise validation_error("thresholdsDays: at least one threshold", "thresholdsDays")
        if any(t < 1 or t > 365 for t in value):
            raise validation_error("thresholdsDays: each threshold is 1 to 365 days", "thresholdsDays")
        if len(set(value)) != len(value):
            raise validation_error("thresholdsDays: thresholds must differ", "thresholdsDays")
        return sorted(value, reverse=True)

    def to_row(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "sni": self.sni if self.sni != self.host else None,
            "interval_seconds": self.interval_seconds,
            "thresholds": self.thresholds_days,
        }


class CertificateOut(ApiModel):
    id: str
    name: str
    source: str  # standalone | endpoint | agent
    endpoint_id: str | None
    agent_id: str | None
    host: str
    port: int
    sni: str | None
    interval_seconds: int
    thresholds_days: list[int]
    status: str
    days_left: int | None
    not_before: str | None
    not_after: str | None
    subject: str | None
    issuer: str | None
    error: str | None
    chain_reason: str | None
    hostname_match: bool | None
    # The alert conditions raised now: expiring, expired, chain_invalid, hostname_mismatch.
    problems: list[str]
    last_checked_at: str | None
    next_check_at: str | None
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, monitor: Monitor, status: str, now_ms: int) -> CertificateOut:
        return cls(
            id=monitor.id,
            name=monitor.name,
            source=monitor.source,
            endpoint_id=monitor.origin if monitor.source == "endpoint" else None,
            agent_id=monitor.agent_id,
            host=monitor.host,
            port=monitor.port,
            sni=monitor.sni,
            interval_seconds=monitor.interval_seconds,
            thresholds_days=monitor.thresholds,
            status=status,
            days_left=days_left(monitor.not_after, now_ms),
            not_before=rfc3339(monitor.not_before),
            not_after=rfc3339(monitor.not_after),
            subject=monitor.subject,
            issuer=monitor.issuer,
            error=monitor.error,
            chain_reason=monitor.chain_reason,
            hostname_match=monitor.hostname_match,
            problems=sorted(monitor.raised),
            last_checked_at=rfc3339(monitor.last_checked_at),
            next_check_at=rfc3339(monitor.next_check_at),
            created_at=rfc3339(monitor.created_at),
            updated_at=rfc3339(monitor.updated_at),
        )


class ChainCertOut(ApiModel):
    subject: str
    issuer: str
    serial: str | None
    not_before: str | None
    not_after: str | None

    @classmethod
    def of(cls, stored: dict[str, Any]) -> ChainCertOut:
        return cls(
            subject=stored["subject"],
            issuer=stored["issuer"],
            serial=stored.get("serial"),
            not_before=rfc3339(stored.get("notBeforeMs")),
            not_after=rfc3339(stored.get("notAfterMs")),
        )


class CheckOut(ApiModel):
    id: int
    checked_at: str | None
    status: str
    days_left: int | None
    duration_ms: float | None
    error: str | None
    subject: str | None
    issuer: str | None
    sans: list[str]
    serial: str | None
    not_before: str | None
    not_after: str | None
    tls_version: str | None
    key_type: str | None
    key_bits: int | None
    chain: list[ChainCertOut]
    chain_valid: bool | None
    chain_reason: str | None
    chain_detail: str | None
    hostname_match: bool | None

    @classmethod
    def of(cls, check: Check) -> CheckOut:
        return cls(
            id=check.id,
            checked_at=rfc3339(check.checked_at),
            status=check.status,
            days_left=days_left(check.not_after, check.checked_at),
            duration_ms=None if check.duration_ms is None else round(check.duration_ms, 1),
            error=check.error,
            subject=check.subject,
            issuer=check.issuer,
            sans=check.sans,
            serial=check.serial,
            not_before=rfc3339(check.not_before),
            not_after=rfc3339(check.not_after),
            tls_version=check.tls_version,
            key_type=check.key_type,
            key_bits=check.key_bits,
            chain=[ChainCertOut.of(cert) for cert in check.chain],
            chain_valid=check.chain_valid,
            chain_reason=check.chain_reason,
            chain_detail=check.chain_detail,
            hostname_match=check.hostname_match,
        )


class CertificateDetailOut(CertificateOut):
    """One monitor with its latest check (the SANs, the chain, TLS version, key)."""

    last_check: CheckOut | None

    @classmethod
    def with_check(cls, monitor: Monitor, status: str, now_ms: int, check: Check | None) -> CertificateDetailOut:
        base = CertificateOut.of(monitor, status, now_ms)
        return cls(**base.model_dump(), last_check=None if check is None else CheckOut.of(check))
