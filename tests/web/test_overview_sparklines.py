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
from watchkeep.web.sparklines import polylines

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


def test_a_gap_splits_the_line_and_a_lone_point_still_shows() -> None:
    lines = polylines([0.0, 100.0, None, 50.0])
    assert lines == ["0.0,23.0 40.0,1.0", "117.0,12.0 120.0,12.0"]
    assert polylines([None, None]) == []


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
