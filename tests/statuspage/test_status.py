"""A component's status from its linked monitors' states, the override and maintenance; the
overall status; daily uptime from the transitions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchkeep.statuspage.monitors import container_state, tag_labels
from watchkeep.statuspage.status import DAY_MS, daily_uptime, derive, overall

TABLE = [
    ([], "operational"),
    (["up"], "operational"),
    (["up", "up", "up"], "operational"),
    (["up", "degraded"], "degraded"),
    (["degraded"], "degraded"),
    (["up", "down"], "partial_outage"),
    (["up", "up", "down"], "partial_outage"),
    (["degraded", "down"], "partial_outage"),
    (["down"], "major_outage"),
    (["down", "down"], "major_outage"),
    (["unknown"], "operational"),
    (["paused"], "operational"),
    (["unknown", "paused"], "operational"),
    (["down", "unknown"], "major_outage"),
    (["down", "paused"], "major_outage"),
    (["up", "paused", "down"], "partial_outage"),
    (["up", "unknown"], "operational"),
    (["degraded", "paused"], "degraded"),
]


@pytest.mark.parametrize(("states", "expected"), TABLE)
def test_the_status_follows_the_linked_monitors(states: list[str], expected: str) -> None:
    assert derive(states) == expected


@pytest.mark.parametrize(("states", "_"), TABLE)
def test_an_open_maintenance_window_puts_any_combination_under_maintenance(states: list[str], _: str) -> None:
    assert derive(states, in_maintenance=True) == "under_maintenance"


@pytest.mark.parametrize("override", ["operational", "degraded", "partial_outage", "major_outage", "under_maintenance"])
@pytest.mark.parametrize("states", [["up"], ["down"], ["degraded", "down"], ["unknown"]])
def test_an_override_wins_over_monitors_and_maintenance(override: str, states: list[str]) -> None:
    assert derive(states, override=override) == override
    assert derive(states, in_maintenance=True, override=override) == override


def test_the_overall_status_is_the_worst_component() -> None:
    assert overall([]) == "operational"
    assert overall(["operational", "under_maintenance"]) == "under_maintenance"
    assert overall(["operational", "degraded", "partial_outage"]) == "partial_outage"
    assert overall(["major_outage", "degraded"]) == "major_outage"


@pytest.mark.parametrize(
    ("state", "health", "expected"),
    [
        ("running", None, "up"),
        ("running", "healthy", "up"),
        ("running", "unhealthy", "degraded"),
        ("restarting", None, "degraded"),
        ("exited", None, "down"),
        ("paused", None, "paused"),
        ("created", None, "unknown"),
    ],
)
def test_a_containers_state_maps_onto_the_scale(state: str, health: str | None, expected: str) -> None:
    assert container_state(state, health) == expected


def test_heartbeat_tags_read_as_labels() -> None:
    assert tag_labels(["env=prod", "team:web", "critical"]) == {"env": "prod", "team": "web", "critical": ""}


def test_daily_uptime_weighs_outage_time_and_leaves_maintenance_out() -> None:
    day = int(datetime(2026, 5, 10, tzinfo=UTC).timestamp() * 1000)
    hour = 3_600_000
    transitions = [
        (day - DAY_MS, "operational"),
        (day + 6 * hour, "major_outage"),
        (day + 12 * hour, "operational"),
        (day + 18 * hour, "under_maintenance"),
    ]
    days = daily_uptime(day - DAY_MS, transitions, day + DAY_MS, 3)
    assert [d.date for d in days] == ["2026-05-09", "2026-05-10", "2026-05-11"]
    assert days[0].uptime_percent == 100.0 and days[0].worst == "operational"
    # 6 hours down out of the 18 that count (6 more were maintenance)
    assert days[1].uptime_percent == pytest.approx(66.67)
    assert days[1].worst == "major_outage"
    assert days[1].outage_seconds == 6 * 3600
    assert days[2].uptime_percent is None  # not a moment of it has passed
