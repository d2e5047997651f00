"""API models of endpoints, their check results, daily uptime and response-time history."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from watchkeep.core.clock import rfc3339
from watchkeep.core.errors import validation_error
from watchkeep.core.schemas import ApiModel, WriteModel
from watchkeep.endpoints.records import EndpointRecord, LocationRecord, ResultRecord
from watchkeep.endpoints.targets import check_target, is_host
from watchkeep.endpoints.uptime import DayUptime
from watchkeep.probes.dns import split_nameserver
from watchkeep.probes.expectations import parse_condition, parse_expected_status

MAX_LOCATIONS = 10
AGENT_TYPES = ("http", "tcp", "tls")  # the types an agent checks (protocol EndpointCheck)
_LOCATION = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
TIMEOUT_SHARE = 0.8  # a timeout is clamped to this share of the interval
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "SRV", "PTR", "CAA")


class _Section(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class HttpSettings(_Section):
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict, max_length=50)
    body: str | None = Field(None, max_length=65_536)
    expected_status: str = Field("2xx", min_length=1, max_length=200)
    body_contains: str | None = Field(None, max_length=1000)
    json_path: list[str] = Field(default_factory=list, max_length=20)
    max_response_ms: int | None = Field(None, ge=1, le=600_000)
    max_redirects: int = Field(5, ge=0, le=30)
    verify_tls: bool = True
    ip_family: Literal["any", "ipv4", "ipv6"] = "any"

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("expected_status")
    @classmethod
    def _status(cls, value: str) -> str:
        try:
            parse_expected_status(value)
        except ValueError as exc:
            raise validation_error(f"http.expectedStatus: {exc}", "http.expectedStatus") from None
        return value.strip()

    @field_validator("json_path")
    @classmethod
    def _conditions(cls, value: list[str]) -> list[str]:
        for index, text in enumerate(value):
            try:
                parse_condition(text)
            except ValueError as exc:
                raise validation_error(f"http.jsonPath[{index}]: {exc}", f"http.jsonPath[{index}]") from None
        return [text.strip() for text in value]

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            field = f"http.headers.{name}"
            if not _HEADER_NAME.match(name):
                raise validation_error(f"{field}: not a valid header name", field)
            if "\r" in text or "\n" in text or len(text) > 8192:
                raise validation_error(f"{field}: a header value is one line of at most 8192 characters", field)
        return value


class TlsSettings(_Section):
    verify: bool = True
    server_name: str | None = Field(None, max_length=253)

    @field_validator("server_name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not is_host(value):
            raise validation_error("tls.serverName: not a host name", "tls.serverName")
        return value


class DnsSettings(_Section):
    record_type: Literal["A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "SRV", "PTR", "CAA"] = "A"
    expected: str | None = Field(None, max_length=500)
    nameserver: str | None = Field(None, max_length=260)

    @field_validator("record_type", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("nameserver")
    @classmethod
    def _nameserver(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            host, port = split_nameserver(value)
        except ValueError:
            host, port = "", 0
        if not is_host(host) or not 0 < port < 65536:
            raise validation_error(
                "dns.nameserver: an address or host, optionally with :port (10.0.0.53, [fd00::53]:53)",
                "dns.nameserver",
            )
        return value.strip()


SECTIONS: dict[str, type[_Section]] = {"http": HttpSettings, "tls": TlsSettings, "dns": DnsSettings}


class EndpointWrite(WriteModel):
    """The writable fields of an endpoint (POST creates, PUT replaces them all)."""

    readonly_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "status",
            "paused",
            "lastCheckAt",
            "lastResult",
            "lastResponseMs",
            "lastHttpStatus",
            "lastError",
            "consecutiveFailures",
            "consecutiveSuccesses",
            "statusSince",
            "nextCheckAt",
            "createdAt",
            "updatedAt",
            "source",
            "containerId",
            "active",
            "locationStatus",
        }
    )

    name: str = Field(min_length=1, max_length=200)
    type: Literal["http", "tcp", "tls", "dns", "icmp"]
    target: str = Field(min_length=1, max_length=2000)
    interval_seconds: int = Field(30, ge=5, le=86_400)
    timeout_seconds: float = Field(10, gt=0, le=300)
    failure_threshold: int = Field(3, ge=1, le=100)
    recovery_threshold: int = Field(2, ge=1, le=100)
    http: HttpSettings | None = None
    tls: TlsSettings | None = None
    dns: DnsSettings | None = None
    # Where it is checked from: "hub" and agent ids (existence is checked when stored).
    locations: list[str] = Field(default_factory=lambda: ["hub"], min_length=1, max_length=MAX_LOCATIONS)
    location_rule: Literal["any", "all", "majority"] = "any"

    @field_validator("locations")
    @classmethod
    def _locations(cls, value: list[str]) -> list[str]:
        seen: list[str] = []
        for index, location in enumerate(value):
            if not _LOCATION.match(location):
                raise validation_error(f'locations[{index}]: "hub" or an agent id', f"locations[{index}]")
            if location in seen:
                raise validation_error(f"locations[{index}]: {location} is listed twice", f"locations[{index}]")
            seen.append(location)
        return seen

    @model_validator(mode="after")
    def _consistent(self) -> EndpointWrite:
        self.target = self.target.strip()
        problem = check_target(self.type, self.target)
        if problem is not None:
            raise validation_error(f"target: {problem}", "target")
        for section in SECTIONS:
            if getattr(self, section) is not None and section != self.type:
                raise validation_error(f"{section}: only an endpoint of type {section!r} has these settings", section)
        if self.type not in AGENT_TYPES and self.locations != ["hub"]:
            index = next(i for i, place in enumerate(self.locations) if place != "hub")
            field = f"locations[{index}]"
            raise validation_error(
                f"{field}: agents check {', '.join(AGENT_TYPES)} endpoints; this one is {self.type}", field
            )
        if self.type in SECTIONS and getattr(self, self.type) is None:
            setattr(self, self.type, SECTIONS[self.type]())
        # A check must end before the next one is due.
        self.timeout_seconds = round(min(self.timeout_seconds, self.interval_seconds * TIMEOUT_SHARE), 3)
        return self

    def settings(self) -> dict[str, Any]:
        """The type's settings as stored (snake_case), headers still in the clear."""
        section = getattr(self, self.type, None) if self.type in SECTIONS else None
        return {} if section is None else section.model_dump()


class EndpointOut(ApiModel):
    id: str
    name: str
    type: str
    target: str
    interval_seconds: int
    timeout_seconds: float
    failure_threshold: int
    recovery_threshold: int
    http: dict[str, Any] | None = None
    tls: dict[str, Any] | None = None
    dns: dict[str, Any] | None = None
    status: str
    paused: bool
    status_since: str | None
    last_check_at: str | None
    last_result: str | None
    last_response_ms: float | None
    last_http_status: int | None
    last_error: str | None
    consecutive_failures: int
    consecutive_successes: int
    next_check_at: str | None
    created_at: str | None
    updated_at: str | None
    source: str = "manual"
    container_id: str | None = None
    active: bool = True
    locations: list[str] = Field(default_factory=lambda: ["hub"])
    location_rule: str = "any"
    # Details only: each location's own status (its thresholds applied to its own results).
    location_status: list[LocationStatusOut] | None = None

    @classmethod
    def of(cls, row: EndpointRecord, shown_target: str, shown_settings: dict[str, Any]) -> EndpointOut:
        """`shown_settings` are the type's settings with secrets masked (service.shown)."""
        sections: dict[str, Any] = {}
        if row.type in SECTIONS:
            model = SECTIONS[row.type].model_validate(shown_settings)
            sections[row.type] = model.model_dump(by_alias=True)
        return cls(
            id=row.id,
            name=row.name,
            type=row.type,
            target=shown_target,
            interval_seconds=row.interval_seconds,
            timeout_seconds=row.timeout_seconds,
            failure_threshold=row.failure_threshold,
            recovery_threshold=row.recovery_threshold,
            status=row.shown_status,
            paused=row.paused,
            status_since=rfc3339(row.status_since),
            last_check_at=rfc3339(row.last_check_at),
            last_result=row.last_result,
            last_response_ms=row.last_response_ms,
            last_http_status=row.last_http_status,
            last_error=row.last_error,
            consecutive_failures=row.consecutive_failures,
            consecutive_successes=row.consecutive_successes,
            next_check_at=rfc3339(row.next_check_at),
            created_at=rfc3339(row.created_at),
            updated_at=rfc3339(row.updated_at),
            source=row.source,
            container_id=row.container_id,
            active=row.active,
            locations=row.location_list,
            location_rule=row.location_rule,
            **sections,
        )


class LocationStatusOut(ApiModel):
    location: str
    status: str
    consecutive_failures: int
    consecutive_successes: int
    last_check_at: str | None
    last_result: str | None
    last_response_ms: float | None
    last_http_status: int | None
    last_error: str | None

    @classmethod
    def of(cls, row: LocationRecord) -> LocationStatusOut:
        return cls(
            location=row.location,
            status=row.status,
            consecutive_failures=row.consecutive_failures,
            consecutive_successes=row.consecutive_successes,
            last_check_at=rfc3339(row.last_check_at),
            last_result=row.last_result,
            last_response_ms=row.last_response_ms,
            last_http_status=row.last_http_status,
            last_error=row.last_error,
        )


class CheckOut(ApiModel):
    id: int
    at: str | None
    status: str
    response_ms: float | None
    http_status: int | None
    error: str | None
    location: str | None = None

    @classmethod
    def of(cls, row: ResultRecord) -> CheckOut:
        return cls(
            location=row.location,
            id=row.id,
            at=rfc3339(row.at),
            status=row.status,
            response_ms=row.response_ms,
            http_status=row.http_status,
            error=row.error,
        )


class DayUptimeOut(ApiModel):
    date: str
    uptime_percent: float | None
    checks: int
    up_checks: int
    avg_response_ms: float | None

    @classmethod
    def of(cls, day: DayUptime) -> DayUptimeOut:
        return cls(
            date=day.date,
            uptime_percent=day.uptime_percent,
            checks=day.checks,
            up_checks=day.up_checks,
            avg_response_ms=day.avg_response_ms,
        )


class ResponsePointOut(ApiModel):
    at: str | None
    response_ms: float | None
    max_response_ms: float | None = None
    uptime_percent: float | None


class ResponseTimesOut(ApiModel):
    range: str
    resolution: Literal["check", "hour"]
    points: list[ResponsePointOut]


def recent_points(recent: str) -> list[list[Any]]:
    points: list[list[Any]] = json.loads(recent or "[]")
    return points


EndpointOut.model_rebuild()
