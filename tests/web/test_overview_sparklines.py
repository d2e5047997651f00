"""The overview's sparklines: each reporting host's last hour of CPU and memory as inline SVG."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from tests.agents.support import create_agent
from tests.resources.support import push
from tests.support.hub import RunningHub
from tests.web.test_alert_and_admin_pages import signed_in
from watchkeep.core.clock import FrozenClock
from watchkeep.web.endpoints import spark
from watchkeep.web.sparklines import Frame, polylines

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


def test_a_gap_splits_the_line_and_a_lone_point_still_shows() -> None:
    lines = polylines([0.0, 100.0, None, 50.0])
    assert lines == ["0.0,23.0 40.0,1.0", "117.0,12.0 120.0,12.0"]
    assert polylines([None, None]) == []


def test_a_frame_with_slots_fills_from_the_right_so_short_lines_share_the_time_scale() -> None:
    frame = Frame(width=100, height=10, margin=0.0, slots=11)
    assert polylines([5.0, 10.0], top=10.0, frame=frame) == ["90.0,5.0 100.0,0.0"]
    assert polylines([0.0, 5.0, 10.0], top=10.0, frame=frame) == ["80.0,10.0 90.0,5.0 100.0,0.0"]


def test_an_endpoints_sparkline_marks_each_failed_check_and_dots_the_newest() -> None:
    points = [
        {"responseMs": 10.0, "up": True},
        {"responseMs": None, "up": False},
        {"responseMs": 20.0, "up": True},
    ]
    drawn = spark(points)
    assert len(drawn["lines"]) == 2  # the failed check without a time breaks the line
    assert drawn["last"] == [str(drawn["width"]) + ".0", "3.0"]
    assert len(drawn["marks"]) == 1 and drawn["marks"][0] < drawn["width"]
    assert spark([]) == {**drawn, "lines": [], "marks": [], "last": None}


async def test_the_overview_draws_each_reporting_hosts_last_hour(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent = await create_agent(hub, "web-1")
        await create_agent(hub, "silent-1")
        for cpu in (10, 30, 20):
            await push(hub, agent, clock, cpuPercent=cpu, memoryUsedMb=400, memoryTotalMb=1000)
            clock.advance(120)
        admin, _ = await signed_in(hub)
        shown = (await admin.get("/")).text
        section = shown[shown.index('id="sparks-title"') :]
        assert f'href="/hosts/{agent["id"]}"' in section
        assert "silent-1" not in section.split("</section>")[0]
        assert len(re.findall(r'<svg class="spark"', section)) == 2
        assert "<script" not in section.split("</section>")[0]
