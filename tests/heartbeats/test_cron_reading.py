"""A cron expression read out in words, and its next runs in its time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchkeep.core.errors import WatchkeepError
from watchkeep.heartbeats.cronreading import next_runs, read_cron


@pytest.mark.parametrize(
    ("expression", "reading"),
    [
        ("* * * * *", "Every minute"),
        ("*/5 * * * *", "Every 5 minutes"),
        ("0 3 * * *", "At 03:00 every day"),
        ("30 2 * * 1-5", "At 02:30 on Monday to Friday"),
        ("0 9 * * sat,sun", "At 09:00 on Saturday and Sunday"),
        ("0 */6 * * *", "At minute 0 every 6 hours"),
        ("15 4 1 * *", "At 04:15 on day 1 of the month"),
        ("0 0 1,15 * *", "At 00:00 on day 1 and 15 of the month"),
        ("0 9 * 1 mon", "At 09:00 on Monday in January"),
        ("5,35 * * * *", "At minute 5 and 35"),
        ("0 12 13 * 5", "At 12:00 on day 13 of the month or on Friday"),
        ("0 0 * * 7", "At 00:00 on Sunday"),
    ],
)
def test_a_cron_expression_reads_as_words(expression: str, reading: str) -> None:
    assert read_cron(expression) == reading


def test_the_next_runs_follow_the_time_zone() -> None:
    runs = next_runs("0 3 * * *", "Europe/Berlin", datetime(2026, 12, 3, tzinfo=UTC))
    assert [run.isoformat() for run in runs] == [f"2026-12-0{d}T02:00:00+00:00" for d in range(3, 8)]


def test_a_bad_expression_or_zone_is_an_error_naming_the_field() -> None:
    with pytest.raises(WatchkeepError) as bad:
        next_runs("0 3 * *", "UTC", datetime(2026, 12, 3, tzinfo=UTC))
    assert bad.value.field == "cron"
    with pytest.raises(WatchkeepError) as zone:
        next_runs("0 3 * * *", "Mars/Olympus", datetime(2026, 12, 3, tzinfo=UTC))
    assert zone.value.field == "timezone"
