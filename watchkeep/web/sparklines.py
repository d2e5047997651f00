"""Sparklines drawn on the server: inline SVG polylines (the pages run no inline script)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchkeep.core.hub import Hub
from watchkeep.dashboard.service import DashboardService

WIDTH = 120
HEIGHT = 24


def polylines(values: list[float | None], top: float = 100.0) -> list[str]:
    """The `points` of one polyline per run of values without a gap, scaled to WIDTH x HEIGHT
    with `top` (or the largest value, if larger) at the top edge."""
    scale = max([top, *(v for v in values if v is not None)])
    step = WIDTH / max(len(values) - 1, 1)
    runs: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((index * step, HEIGHT - 1 - value / scale * (HEIGHT - 2)))
    lines = []
    for run in runs:
        if len(run) == 1:  # a lone point as a short flat line inside the box, so that it shows
            x, y = run[0]
            start = min(x, WIDTH - 3)
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
