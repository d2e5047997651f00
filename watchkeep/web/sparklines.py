"""Sparklines drawn on the server: inline SVG polylines (the pages run no inline script)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchkeep.core.hub import Hub
from watchkeep.dashboard.service import DashboardService


@dataclass(frozen=True)
class Frame:
    """The box a sparkline is drawn in. With `slots`, the values fill the right end of that
    many positions (the newest at the right edge), so lines of different lengths share one
    time scale; without, they spread over the whole width."""

    width: int = 120
    height: int = 24
    margin: float = 1.0
    slots: int | None = None

    def x(self, index: int, count: int) -> float:
        slots = max(self.slots or count, count)
        step = self.width / max(slots - 1, 1)
        return round(self.width - (count - 1 - index) * step, 1)

    def y(self, value: float, top: float) -> float:
        return round(self.height - self.margin - value / top * (self.height - 2 * self.margin), 1)


HOURLY = Frame()


def polylines(values: list[float | None], top: float = 100.0, frame: Frame = HOURLY) -> list[str]:
    """The `points` of one polyline per run of values without a gap, in `frame`, with `top`
    (or the largest value, if larger) at the top edge."""
    scale = max([top, *(v for v in values if v is not None)]) or 1.0
    runs: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((frame.x(index, len(values)), frame.y(value, scale)))
    lines = []
    for run in runs:
        if len(run) == 1:  # a lone point as a short flat line inside the box, so that it shows
            x, y = run[0]
            start = min(x, frame.width - 3)
            run[:] = [(start, y), (start + 3, y)]
        if run:
            lines.append(" ".join(f"{x:.1f},{y:.1f}" for x, y in run))
    return lines


@dataclass(frozen=True)
class Spark:
    name: str
    href: str
    cpu: list[str]
    memory: list[str]
    cpu_now: float | None
    memory_now: float | None


def _last(values: list[float | None]) -> float | None:
    return next((v for v in reversed(values) if v is not None), None)


async def host_sparks(hub: Hub) -> list[Spark]:
    """Each host's last hour of CPU and memory, for the overview."""
    data: dict[str, Any] = await DashboardService(hub).sparklines()
    return [
        Spark(
            name=host["name"],
            href=f"/hosts/{host['id']}",
            cpu=polylines(host["cpu"]),
            memory=polylines(host["memory"]),
            cpu_now=_last(host["cpu"]),
            memory_now=_last(host["memory"]),
        )
        for host in data["hosts"]
        if any(v is not None for v in host["cpu"] + host["memory"])
    ]
