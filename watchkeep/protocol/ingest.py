"""The native ingest payload of `POST /api/metrics/ingest` (spec: agent-metrics-ingest.txt)
and the agent configuration of `GET /api/agent/config`.

Decoding rejects what the contract rejects: a missing required field, a wrong type, and
numbers out of range (NaN and infinities are not JSON and never decode). Unknown fields are
ignored. `decode_ingest` reports the failing field as a path such as
`services[2].containerName`."""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct, field

NonNegative = Annotated[float, Meta(ge=0, le=1e15)]
Percent = Annotated[float, Meta(ge=0, le=100_000)]  # per-container CPU % exceeds 100 on many cores
Count = Annotated[float, Meta(ge=0, le=1e15)]
Port = Annotated[int, Meta(ge=0, le=65535)]
# Agent-reported text is bounded, so a payload cannot grow a row without limit.
Name = Annotated[str, Meta(max_length=255)]
Url = Annotated[str, Meta(max_length=2048)]
Message = Annotated[str, Meta(max_length=4096)]
Labels = dict[Name, Annotated[str, Meta(max_length=1024)]]
# The contract's date-time: RFC 3339 in UTC with a Z suffix.
DateTime = Annotated[
    str,
    Meta(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z$"),
]


class _Wire(Struct, rename="camel", omit_defaults=True, forbid_unknown_fields=False):
    pass


class ServiceStats(_Wire):
    container_name: Name
    cpu_percent: Percent | None = None
    memory_used_mb: NonNegative | None = None
    memory_limit_mb: NonNegative | None = None
    network_rx_mb: NonNegative | None = None
    network_tx_mb: NonNegative | None = None
    block_read_mb: NonNegative | None = None
    block_write_mb: NonNegative | None = None
    restart_count: Count | None = None
    state: Name | None = None
    health: Name | None = None
    # How the container last exited, from inspect (watchkeep extensions; absent: unknown)
    exit_code: Annotated[int, Meta(ge=-1_000_000, le=1_000_000)] | None = None
    oom_killed: bool | None = None
    finished_at: DateTime | None = None


class ServiceHealthCheck(_Wire):
    container_name: Name
    health_check_url: Url
    success: bool
    status_code: Annotated[int, Meta(ge=0, le=999)] | None = None
    duration_ms: NonNegative | None = None
    checked_at: DateTime | None = None
    error: Message | None = None


class TcpCheckResult(_Wire):
    container_name: Name
    host: Name
    port: Port
    success: bool
    duration_ms: NonNegative
    name: Name | None = None
    error: Message | None = None


class CertCheckResult(_Wire):
    container_name: Name
    host: Name
    port: Port
    success: bool
    duration_ms: NonNegative
    name: Name | None = None
    expires_at: Name | None = None
    days_until_expiry: Annotated[float, Meta(ge=-1e6, le=1e6)] | None = None
    issuer: Message | None = None
    subject: Message | None = None
    error: Message | None = None


class EndpointResult(_Wire):
    """The result of an endpoint check the hub gave the agent (`AgentConfig.endpointChecks`)."""

    endpoint_id: Name
    status: Literal["up", "down"]
    response_ms: NonNegative | None = None
    http_status: Annotated[int, Meta(ge=0, le=999)] | None = None
    error: Message | None = None
    checked_at: DateTime | None = None


class PortMapping(_Wire):
    private_port: Port
    type: Name
    public_port: Port | None = None
    ip: Name | None = None


class Mount(_Wire):
    source: Message
    destination: Message
    mode: Name
    type: Name


class Container(_Wire):
    id: Name
    name: Name
    image: Url
    image_id: Name
    state: Name
    status: Name
    created: Count
    ports: list[PortMapping] = field(default_factory=list)
    labels: Labels = field(default_factory=dict)
    mounts: list[Mount] = field(default_factory=list)
    network_mode: Name | None = None
    # The image's facts from the engine's image inspect (watchkeep extensions; absent:
    # unknown): its `name@digest` entries, its own labels, and its platform `os/arch[/variant]`.
    repo_digests: list[Url] | None = None
    image_labels: Labels | None = None
    image_platform: Name | None = None


class Process(_Wire):
    pid: Count
    name: Name
    state: Name
    cpu_percent: Percent
    memory_mb: NonNegative
    threads: Count


class ProcessStats(_Wire):
    total: Count
    running: Count
    sleeping: Count
    stopped: Count
    zombie: Count


class TopProcesses(_Wire):
    by_cpu: list[Process]
    by_memory: list[Process]
    stats: ProcessStats


class DiskUsage(_Wire):
    """One filesystem (an extension to the contract's totals; agents may omit it)."""

    mount: Message
    used_gb: NonNegative
    total_gb: NonNegative
    device: Name | None = None
    fstype: Name | None = None


LogStream = Literal["stdout", "stderr"]
# Bounds on the log lines a payload carries, so one payload stays a few MB at most.
MAX_LOG_BATCHES = 20
# An agent checks at most this many endpoints; a payload carries at most this many results.
MAX_ENDPOINT_CHECKS = 200
MAX_ENDPOINT_RESULTS = 1000
MAX_LOG_LINES = 1000
MAX_LOG_LINE = 16 * 1024


# A log line's time as the engine gives it: RFC 3339 in UTC, nanoseconds at most.
LogTime = Annotated[
    str,
    Meta(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$", max_length=40),
]


class LogLineWire(_Wire):
    stream: LogStream
    at: LogTime
    text: Annotated[str, Meta(max_length=MAX_LOG_LINE)]


class ContainerLogs(_Wire):
    """Log lines of one container: the answer to a log request of the config (`request`),
    or, unasked, the last lines of a container seen to stop or die between two samples (`die`)."""

    container_id: Name
    container_name: Name
    reason: Literal["request", "die"]
    lines: Annotated[list[LogLineWire], Meta(max_length=MAX_LOG_LINES)]
    request_id: Name | None = None


class IngestPayload(_Wire):
    cpu_percent: Annotated[float, Meta(ge=0, le=100)] | None = None
    memory_used_mb: NonNegative | None = None
    memory_total_mb: NonNegative | None = None
    swap_used_mb: NonNegative | None = None
    swap_total_mb: NonNegative | None = None
    disk_used_gb: NonNegative | None = None
    disk_total_gb: NonNegative | None = None
    load_avg1: NonNegative | None = None
    load_avg5: NonNegative | None = None
    load_avg15: NonNegative | None = None
    uptime: NonNegative | None = None
    open_fds: Count | None = None
    max_fds: Count | None = None
    tcp_established: Count | None = None
    tcp_listen: Count | None = None
    tcp_time_wait: Count | None = None
    tcp_close_wait: Count | None = None
    tcp_total: Count | None = None
    server_healthy: bool | None = None
    agent_version: Name | None = None
    services: list[ServiceStats] = field(default_factory=list)
    service_health_checks: list[ServiceHealthCheck] = field(default_factory=list)
    tcp_check_results: list[TcpCheckResult] = field(default_factory=list)
    cert_check_results: list[CertCheckResult] = field(default_factory=list)
    endpoint_results: Annotated[list[EndpointResult], Meta(max_length=MAX_ENDPOINT_RESULTS)] = field(
        default_factory=list
    )
    containers: list[Container] = field(default_factory=list)
    top_processes: TopProcesses | None = None
    # Extensions our agent sends; other agents leave them out.
    timestamp: DateTime | None = None
    cpu_iowait_percent: Annotated[float, Meta(ge=0, le=100)] | None = None
    network_rx_bytes_per_sec: NonNegative | None = None
    network_tx_bytes_per_sec: NonNegative | None = None
    disks: list[DiskUsage] = field(default_factory=list)
    dropped_payloads: Count | None = None
    collector_errors: dict[Name, Message] = field(default_factory=dict)
    container_logs: Annotated[list[ContainerLogs], Meta(max_length=MAX_LOG_BATCHES)] = field(default_factory=list)


class CheckTarget(_Wire, omit_defaults=False):
    host: str
    port: Port
    name: str | None = None


class ServiceConfig(_Wire, omit_defaults=False):
    container_name: str
    health_check_url: str | None = None
    tcp_checks: list[CheckTarget] = field(default_factory=list)
    cert_checks: list[CheckTarget] = field(default_factory=list)


class MetricsConfig(_Wire, omit_defaults=False):
    collect_cpu: bool = True
    collect_memory: bool = True
    collect_swap: bool = True
    collect_disk: bool = True
    collect_load: bool = True
    collect_fds: bool = True
    collect_tcp: bool = True
    collect_processes: bool = True
    collect_tcp_checks: bool = True
    collect_cert_checks: bool = True


class LogRequest(_Wire, omit_defaults=False):
    """Log lines the hub asks the agent for: the last `tail` lines (since `since`, of `stream`
    only when given), sent in the next payload; with `followUntil`, then the new lines in
    every payload until that time."""

    id: str
    container_id: str
    container_name: str
    tail: int
    since: str | None = None
    stream: LogStream | None = None
    follow_until: str | None = None


class EndpointHttp(_Wire, omit_defaults=False):
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    expected_status: str = "2xx"
    body_contains: str | None = None
    json_path: list[str] = field(default_factory=list)
    max_response_ms: int | None = None
    max_redirects: int = 5
    verify_tls: bool = True
    ip_family: str = "any"


class EndpointTls(_Wire, omit_defaults=False):
    verify: bool = True
    server_name: str | None = None


class EndpointCheck(_Wire, omit_defaults=False):
    """An endpoint the hub asks the agent to check every `intervalSeconds`, near the service;
    each result goes back in `endpointResults`."""

    id: str
    type: Literal["http", "tcp", "tls"]
    target: str
    interval_seconds: int
    timeout_seconds: float
    http: EndpointHttp | None = None
    tls: EndpointTls | None = None


class AgentConfig(Struct, rename="camel"):
    """`GET /api/agent/config`: what the hub wants the agent to collect and check."""

    server_id: str
    server_name: str
    push_interval_seconds: int
    services: list[ServiceConfig] = field(default_factory=list)
    metrics_config: MetricsConfig = field(default_factory=MetricsConfig)
    log_requests: list[LogRequest] = field(default_factory=list)
    endpoint_checks: list[EndpointCheck] = field(default_factory=list)


class PayloadError(Exception):
    """A payload the contract rejects; `field` is the path of the offending value."""

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_decoder = msgspec.json.Decoder(IngestPayload)


def _field_path(raw: str) -> str | None:
    path = raw.lstrip(".")
    return path or None


T = TypeVar("T")


def decode(decoder: msgspec.json.Decoder[T], body: bytes) -> T:
    """Decode with `decoder`; a rejected body raises PayloadError naming the field. NaN and
    infinities (which some JSON writers emit) are named as the field that holds them."""
    try:
        return decoder.decode(body)
    except RecursionError:
        raise PayloadError("Malformed JSON body: nested too deeply", None) from None
    except msgspec.ValidationError as exc:
        text = str(exc)
        match = _PATH.search(text)
        message = text[: match.start()] if match else text
        path = _field_path(match.group("path")) if match else None
        if message.startswith("Object missing required field"):
            name = message.split("`")[1]
            path = f"{path}.{name}" if path else name
            message = "Field required"
        return_message = f"{path}: {message}" if path else message
        raise PayloadError(return_message, path) from None
    except msgspec.DecodeError as exc:
        path = _non_finite_path(body)
        if path is not None:
            raise PayloadError(f"{path}: NaN and infinite numbers are not allowed", path) from None
        raise PayloadError(f"Malformed JSON body: {exc}", None) from None


def _non_finite_path(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return _find_non_finite(data, "")


def _find_non_finite(value: Any, path: str) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return path or None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _find_non_finite(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_non_finite(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def decode_ingest(body: bytes) -> IngestPayload:
    return decode(_decoder, body)


encode = msgspec.json.encode
