"""Endpoints declared by container labels, read without touching the database.

`watchkeep.endpoint.http=<url>` or `watchkeep.endpoint.tcp=<host:port>` declares one endpoint
(key ""), `watchkeep.endpoint.N.http` / `.N.tcp` more of them (key "N"). Tuning labels sit
beside the target: `watchkeep.endpoint.interval` for the unindexed one,
`watchkeep.endpoint.N.interval` for an indexed one. A declaration whose labels do not make a
valid endpoint is left out and its reason returned (the container's endpoints route shows it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from watchkeep.core.errors import WatchkeepError
from watchkeep.endpoints.schemas import EndpointWrite

PREFIX = "watchkeep.endpoint."
TYPES = ("http", "tcp")
MAX_PER_CONTAINER = 20
# tuning label -> the field of POST /api/v1/endpoints it sets
_TOP = {
    "name": "name",
    "interval": "intervalSeconds",
    "timeout": "timeoutSeconds",
    "failure_threshold": "failureThreshold",
    "recovery_threshold": "recoveryThreshold",
}
_HTTP = {"method": "method", "expected_status": "expectedStatus", "body_contains": "bodyContains"}
_KEY = re.compile(r"^(?:(?P<index>\d{1,3})\.)?(?P<name>[a-z_]+)$")


@dataclass(frozen=True)
class Declared:
    key: str  # "" for the unindexed declaration, else its index
    body: EndpointWrite


def declared(container_name: str, labels: dict[str, str] | None) -> tuple[list[Declared], list[str]]:
    """The endpoints the labels declare (by key), and why any declaration was left out."""
    groups: dict[str, dict[str, str]] = {}
    errors: list[str] = []
    for label, value in (labels or {}).items():
        if not label.startswith(PREFIX):
            continue
        match = _KEY.match(label[len(PREFIX) :])
        if match is None:
            errors.append(f"{label}: not a watchkeep.endpoint label")
            continue
        groups.setdefault(match.group("index") or "", {})[match.group("name")] = value.strip()
    found: list[Declared] = []
    for key in sorted(groups, key=lambda k: (k != "", int(k) if k else 0)):
        fields = groups[key]
        label = f"{PREFIX}{key + '.' if key else ''}"
        kinds = [kind for kind in TYPES if kind in fields]
        if len(kinds) != 1:
            errors.append(f"{label}http|tcp: exactly one target label is needed ({', '.join(kinds) or 'none'} given)")
            continue
        if len(found) >= MAX_PER_CONTAINER:
            errors.append(f"{label}{kinds[0]}: at most {MAX_PER_CONTAINER} endpoints per container")
            continue
        body, problem = _body(container_name, key, kinds[0], fields, label)
        if problem is not None:
            errors.append(problem)
        elif body is not None:
            found.append(Declared(key, body))
    return found, errors


def _body(
    container_name: str, key: str, kind: str, fields: dict[str, str], label: str
) -> tuple[EndpointWrite | None, str | None]:
    unknown = sorted(set(fields) - set(TYPES) - set(_TOP) - set(_HTTP))
    if unknown:
        return None, f"{label}{unknown[0]}: not a known tuning label"
    default_name = f"{container_name} {kind}" + (f" {key}" if key else "")
    raw: dict[str, Any] = {"name": default_name, "type": kind, "target": fields[kind]}
    for name, field in _TOP.items():
        if name in fields:
            raw[field] = fields[name]
    http = {field: fields[name] for name, field in _HTTP.items() if name in fields}
    if http:
        if kind != "http":
            return None, f"{label}{next(iter(n for n in _HTTP if n in fields))}: only an http endpoint takes this label"
        raw["http"] = http
    try:
        return EndpointWrite.model_validate(raw), None
    except WatchkeepError as exc:
        return None, f"{label}{kind}: {exc.message}"
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or kind
        return None, f"{label}{kind}: {where}: {first['msg']}"
