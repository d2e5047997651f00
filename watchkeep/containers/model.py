"""A container as an agent reports it. Fields left None keep what was stored before."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ContainerInfo:
    name: str
    id: str | None = None  # None: matched by name to a known container, or the name becomes the id
    image: str | None = None
    image_id: str | None = None
    state: str | None = None
    status: str | None = None
    health: str | None = None
    restart_count: int | None = None
    labels: dict[str, str] | None = None
    ports: list[dict[str, Any]] | None = None
    mounts: list[dict[str, Any]] | None = None
    network_mode: str | None = None
    created_ms: int | None = None
