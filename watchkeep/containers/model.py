"""A container as an agent reports it. Fields left None keep what was stored before. `labels`,
`ports` and `mounts` hold anything msgspec encodes to JSON (dicts or wire structs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec


class ContainerInfo(msgspec.Struct):
    name: str
    id: str | None = None  # None: matched by name to a known container, or the name becomes the id
    image: str | None = None
    image_id: str | None = None
    state: str | None = None
    status: str | None = None
    health: str | None = None
    restart_count: int | None = None
    labels: dict[str, str] | None = None
    ports: Sequence[Any] | None = None
    mounts: Sequence[Any] | None = None
    network_mode: str | None = None
    created_ms: int | None = None
