"""A component's status: a pure function of its linked monitors' states, the maintenance
windows open now and its manual override; the page's overall status; daily uptime from the
recorded transitions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DAY_MS = 86_400_000

# Best first; the page's overall status is the worst of its components'.
STATUSES = ("operational", "under_maintenance", "degraded", "partial_outage", "major_outage")
RANK = {status: rank for rank, status in enumerate(STATUSES)}
LABELS = {
    "operational": "Operational",
    "under_maintenance": "Under maintenance",
    "degraded": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}
OVERALL_LABELS = {
    "operational": "All systems operational",
    "under_maintenance": "Maintenance in progress",
    "degraded": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}
# What a linked monitor can be, whatever its kind.
MONITOR_STATES = ("up", "degraded", "down", "unknown", "paused")
OUTAGES = ("partial_outage", "major_outage")


def derive(states: Sequence[str], *, in_maintenance: bool = False, override: str | None = None) -> str:
    """The component's status. The override wins; then an open maintenance window over any
    of its monitors; then its monitors: monitors with no verdict (unknown, paused) are left
    out; every one down is a major outage, some down a partial one, any degraded is degraded;
    otherwise (and with nothing to judge by) operational."""
    if override is not None:
        return override
    if in_maintenance:
        return "under_maintenance"
    judged = [state for state in states if state in ("up", "degraded", "down")]
    down = judged.count("down")
    if judged and down == len(judged):
        return "major_outage"
    if down:
        return "partial_outage"
    if "degraded" in judged:
        return "degraded"
    return "operational"


def overall(statuses: Iterable[str]) -> str:
    return max(statuses, key=RANK.__getitem__, default="operational")


@dataclass(frozen=True)
class UptimeDay:
    date: str
    # None on a day the component did not exist or spent wholly in maintenance
    uptime_percent: float | None
    worst: str | None
    outage_seconds: float


def daily_uptime(created_at: int, transitions: Sequence[tuple[int, str]], now_ms: int, days: int) -> list[UptimeDay]:
    """The last `days` UTC days, oldest first, today up to `now_ms`. `transitions` are
    (at, status) in time order, the first one at creation. Time in an outage counts against
    uptime; time under maintenance counts neither way."""
    segments: list[tuple[int, int, str]] = []
    for index, (at, status) in enumerate(transitions):
        end = transitions[index + 1][0] if index + 1 < len(transitions) else now_ms
        if end > at:
            segments.append((at, end, status))
    today = datetime.fromtimestamp(now_ms / 1000, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    result: list[UptimeDay] = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        day_start = int(day.timestamp() * 1000)
        day_end = min(day_start + DAY_MS, now_ms)
        counted = outage = 0
        worst: str | None = None
        for start, end, status in segments:
            overlap = min(end, day_end) - max(start, day_start)
            if overlap <= 0:
                continue
            worst = status if worst is None or RANK[status] > RANK[worst] else worst
            if status == "under_maintenance":
                continue
            counted += overlap
            if status in OUTAGES:
                outage += overlap
        percent = None if counted == 0 or day_end <= created_at else round(100.0 * (1 - outage / counted), 2)
        result.append(UptimeDay(day.date().isoformat(), percent, worst, outage / 1000))
    return result


def uptime_over(days: Sequence[UptimeDay]) -> float | None:
    """The mean of the days that count (None when none does)."""
    known = [day.uptime_percent for day in days if day.uptime_percent is not None]
    return round(sum(known) / len(known), 2) if known else None
