"""API models of resource alert thresholds (`.../resources/alerts`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from watchkeep.core.schemas import ApiModel

# The most samples a rule may wait for: at a 15 s push interval, a bit over four hours.
MAX_SAMPLES = 1000
# CPU percent is of one core, so a container on many cores may pass 100.
MAX_CPU_PERCENT = 100_000.0

Samples = Annotated[int, Field(ge=1, le=MAX_SAMPLES)]


class _Rule(ApiModel):
    model_config = ConfigDict(extra="forbid")

    breach_samples: Samples
    recover_samples: Samples


class CpuRule(_Rule):
    threshold: Annotated[float, Field(gt=0, le=MAX_CPU_PERCENT)]


class PercentRule(_Rule):
    """A share of a whole (memory of the container's limit or the host's total; a disk)."""

    threshold: Annotated[float, Field(gt=0, le=100)]


class Thresholds(ApiModel):
    # `status` is what GET adds (read-only): a body read and sent back is accepted.
    model_config = ConfigDict(extra="forbid")

    cpu_percent: CpuRule | None = None
    memory_percent: PercentRule | None = None
    status: dict[str, Any] | None = None

    def rules(self) -> dict[str, _Rule | None]:
        """Column name of each metric → its rule (None: no threshold)."""
        return {"cpu_percent": self.cpu_percent, "memory_percent": self.memory_percent}


class ContainerThresholds(Thresholds):
    pass


class HostThresholds(Thresholds):
    disk_percent: PercentRule | None = None

    def rules(self) -> dict[str, _Rule | None]:
        return {**super().rules(), "disk_percent": self.disk_percent}
