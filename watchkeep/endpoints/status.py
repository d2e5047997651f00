"""An endpoint's status after its thresholds: a pure function of the stored counters and the
new result."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Counters:
    status: str  # unknown | up | down
    failures: int
    successes: int


def advance(current: Counters, up: bool, *, failure_threshold: int, recovery_threshold: int) -> Counters:
    """The counters after one more result.

    A first success makes an unknown endpoint up at once; `failure_threshold` failures in a
    row take an up (or still unknown) endpoint down; `recovery_threshold` successes in a
    row bring a down one back up."""
    if up:
        successes = current.successes + 1
        status = current.status
        if status == "unknown" or (status == "down" and successes >= recovery_threshold):
            status = "up"
        return Counters(status, 0, successes)
    failures = current.failures + 1
    status = "down" if failures >= failure_threshold else current.status
    return Counters(status, failures, 0)


RULES = ("any", "all", "majority")


def by_rule(statuses: list[str], rule: str) -> str:
    """An endpoint's status from its locations' statuses: down when any / all / more than half
    of its locations are down; else up when some location is up; else unknown."""
    down = statuses.count("down")
    if rule == "all":
        is_down = bool(statuses) and down == len(statuses)
    elif rule == "majority":
        is_down = down * 2 > len(statuses)
    else:
        is_down = down > 0
    if is_down:
        return "down"
    return "up" if "up" in statuses else "unknown"
