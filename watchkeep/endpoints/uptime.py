"""Daily uptime per UTC day, from the hourly rollups: the share of checks that were up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from watchkeep.endpoints.records import RollupRecord

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@dataclass(frozen=True)
class DayUptime:
    date: str
    checks: int
    up_checks: int
    avg_response_ms: float | None

    @property
    def uptime_percent(self) -> float | None:
        return None if self.checks == 0 else round(100.0 * self.up_checks / self.checks, 3)


def first_day_ms(now_ms: int, days: int) -> int:
    """Midnight (UTC) starting the oldest of the last `days` days, today included."""
    return (now_ms // DAY_MS - days + 1) * DAY_MS


def daily_uptime(rollups: Iterable[RollupRecord], now_ms: int, days: int) -> list[DayUptime]:
    """The last `days` UTC days, oldest first; a day without checks has no percentage."""
    start = first_day_ms(now_ms, days)
    totals: dict[int, list[float]] = {}
    for row in rollups:
        day = (row.hour - start) // DAY_MS
        if 0 <= day < days:
            total = totals.setdefault(day, [0, 0, 0, 0.0])
            total[0] += row.checks
            total[1] += row.up_checks
            total[2] += row.timed_checks
            total[3] += row.response_sum_ms
    out: list[DayUptime] = []
    for day in range(days):
        checks, up, timed, response = totals.get(day, [0, 0, 0, 0.0])
        date = (datetime.fromtimestamp(start / 1000, UTC) + timedelta(days=day)).date().isoformat()
        average = round(response / timed, 2) if timed else None
        out.append(DayUptime(date=date, checks=int(checks), up_checks=int(up), avg_response_ms=average))
    return out
