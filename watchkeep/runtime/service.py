"""Which container runtime the hub watches locally, and whether it answers."""

from __future__ import annotations

import os
from dataclasses import dataclass

from watchkeep.protocol.docker import EngineClient, EngineUnavailable


@dataclass(frozen=True)
class RuntimeStatus:
    runtime: str  # docker | kubernetes | none
    connected: bool
    endpoint: str | None
    version: str | None
    api_version: str | None
    error: str | None


async def runtime_status(docker_host: str) -> RuntimeStatus:
    try:
        async with EngineClient(docker_host, timeout=2.0) as client:
            info = await client.version()
        return RuntimeStatus(
            runtime="docker",
            connected=True,
            endpoint=docker_host,
            version=info.get("Version"),
            api_version=info.get("ApiVersion"),
            error=None,
        )
    except EngineUnavailable as exc:
        docker_error = str(exc)
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        host = os.environ["KUBERNETES_SERVICE_HOST"]
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        return RuntimeStatus(
            runtime="kubernetes",
            connected=False,
            endpoint=f"https://{host}:{port}",
            version=None,
            api_version=None,
            error="Kubernetes API monitoring is not enabled in this edition",
        )
    return RuntimeStatus(
        runtime="none",
        connected=False,
        endpoint=docker_host,
        version=None,
        api_version=None,
        error=docker_error,
    )
