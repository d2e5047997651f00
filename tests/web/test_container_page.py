"""A container's page over HTTP: a failed exit shows its outcome, exit code and OOM kill in
the transitions, a restart loop shows while it lasts."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from tests.resources.support import agent_with_container, container, push, stats
from tests.support.hub import RunningHub
from tests.web.test_alert_and_admin_pages import signed_in
from watchkeep.core.clock import FrozenClock

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


async def test_exits_and_a_restart_loop_show_on_the_page(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent, cid = await agent_with_container(hub, clock)
        viewer, _ = await signed_in(hub, "vera", "viewer")
        died = {**container("a1", "api"), "state": "exited", "status": "Exited (3) 1 second ago"}
        await push(hub, agent, clock, containers=[died])
        state = (await viewer.get(f"/containers/{cid}", params={"fragment": "state"})).text
        assert 'data-outcome="failed"' in state and "exit code 3" in state
        assert 'id="restart-loop"' not in state

        stopped = {**container("a1", "api"), "state": "exited", "status": "Exited (0) 1 second ago"}
        for restarts in (0, 1, 2, 3):
            running = [{**stats("api", 1, 100), "restartCount": restarts}]
            await push(hub, agent, clock, containers=[container("a1", "api")], services=running)
        await push(hub, agent, clock, containers=[stopped])
        page = (await viewer.get(f"/containers/{cid}")).text
        assert 'id="restart-loop"' in page and "3 restarts within 10 min" in page
        assert 'data-outcome="completed"' in page
