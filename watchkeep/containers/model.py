"""A container as an agent reports it. Fields left None keep what was stored before. `labels`,
`ports` and `mounts` hold anything msgspec encodes to JSON (dicts or wire structs)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec

IGNORE_LABEL = "watchkeep.ignore"
GROUP_LABEL = "watchkeep.group"
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
# Kubernetes' own label on a pod's containers; a KubeWatch pod carries it too
NAMESPACE_LABEL = "io.kubernetes.pod.namespace"
REMOVED = "removed"


def public_id(agent_id: str, container_id: str) -> str:
    """The API's id of a container: unique across hosts, the same across its restarts."""
    return "ctr_" + hashlib.sha256(f"{agent_id}/{container_id}".encode()).hexdigest()[:24]


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
    # The image's facts (image update checks): `name@digest` entries, its labels, `os/arch[/variant]`
    repo_digests: list[str] | None = None
    image_labels: dict[str, str] | None = None
    platform: str | None = None
    # How it last exited, where known (the local runtime's inspect, or the agent's fields)
    exit_code: int | None = None
    oom_killed: bool | None = None
    # True: a stop or kill was asked of the engine before it died (local containers only)
    requested_stop: bool | None = None
    # The last log lines on a die: {stream, at, text} each
    log_tail: list[dict[str, Any]] | None = None

    @property
    def ignored(self) -> bool:
        return (self.labels or {}).get(IGNORE_LABEL, "").strip().lower() == "true"
