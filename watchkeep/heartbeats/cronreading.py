"""A cron expression read out in words ("at 03:00 on Monday to Friday") and its next run
times, for the person writing one. Five fields: minute hour day-of-month month weekday."""

from __future__ import annotations

from datetime import UTC, datetime

from cronsim import CronSim

from watchkeep.heartbeats.schedule import check_cron, zone

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ALIASES = {name[:3].lower(): str(i + 1) for i, name in enumerate(MONTHS)} | {
    name[:3].lower(): str(i) for i, name in enumerate(WEEKDAYS[:7])
}


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _word(value: str, names: tuple[str, ...] | None) -> str:
    value = _ALIASES.get(value.lower(), value)
    if names is None or not value.isdigit():
        return value
    index = int(value) - (0 if names is WEEKDAYS else 1)
    return names[index] if 0 <= index < len(names) else value


def _items(field: str, names: tuple[str, ...] | None) -> str:
    """`1-5` → "Monday to Friday"; `1,15` → "1 and 15"."""
    said = []
    for item in field.split(","):
        low, _, high = item.partition("-")
        said.append(f"{_word(low, names)} to {_word(high, names)}" if high else _word(low, names))
    return _join(said)


def _every(field: str, unit: str) -> str | None:
    if field == "*":
        return f"every {unit}"
    if field.startswith("*/"):
        return f"every {field[2:]} {unit}s"
    return None


def read_cron(expression: str) -> str:
    """A reading of a valid expression; fields it cannot put in words are quoted as they are."""
    minute, hour, day, month, weekday = expression.split()
    if minute.isdigit() and hour.isdigit():
        when = f"at {int(hour):02d}:{int(minute):02d}"
    else:
        minutes = _every(minute, "minute") or f"at minute {_items(minute, None)}"
        hours = _every(hour, "hour")
        hours = "" if hours == "every hour" else (hours or f"past hour {_items(hour, None)}")
        when = f"{minutes} {hours}".strip()
    days = []
    if day != "*":
        days.append(_every(day, "day") or f"on day {_items(day, None)} of the month")
    if weekday != "*":
        days.append(f"on {_items(weekday, WEEKDAYS)}")
    if month != "*":
        days.append(_every(month, "month") or f"in {_items(month, MONTHS)}")
    if day == "*" and weekday == "*" and when.startswith("at ") and ":" in when:
        days.insert(0, "every day")
    text = " ".join([when, *days]) if day == "*" or weekday == "*" else f"{when} {days[0]} or {days[1]}"
    return text[0].upper() + text[1:]


def next_runs(expression: str, timezone: str, after: datetime, count: int = 5) -> list[datetime]:
    """The next `count` times the expression matches after `after`, in its time zone."""
    check_cron(expression, timezone)
    runs = []
    for run in CronSim(expression, after.astimezone(zone(timezone))):
        runs.append(run.astimezone(UTC))
        if len(runs) == count:
            break
    return runs
