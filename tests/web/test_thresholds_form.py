"""The alert thresholds form of a container's and a host's page, over HTTP as a person uses
it: saved thresholds shown, errors next to their fields, viewers shown no form."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from tests.resources.support import agent_with_container
from tests.support.hub import RunningHub
from tests.web.test_alert_and_admin_pages import signed_in
from watchkeep.core.clock import FrozenClock

StartHub = Callable[..., AbstractAsyncContextManager[RunningHub]]


async def test_an_editor_sets_a_containers_thresholds_from_its_page(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        _, cid = await agent_with_container(hub, clock)
        editor, csrf = await signed_in(hub, "eddie", "editor")
        shown = (await editor.get(f"/containers/{cid}")).text
        assert 'id="thresholds"' in shown and 'name="cpuPercent.threshold"' in shown
        assert 'name="diskPercent.threshold"' not in shown

        form = {
            "csrf": csrf,
            "cpuPercent.threshold": "85",
            "cpuPercent.breachSamples": "4",
            "cpuPercent.recoverSamples": "2",
            "memoryPercent.threshold": "",
            "memoryPercent.breachSamples": "3",
            "memoryPercent.recoverSamples": "3",
        }
        saved = await editor.post(f"/containers/{cid}/thresholds", data=form)
        assert saved.status_code == 303
        assert saved.headers["location"] == f"/containers/{cid}#thresholds"
        api = (await hub.admin.get(f"/api/v1/containers/{cid}/resources/alerts")).json()
        assert api["cpuPercent"] == {"threshold": 85.0, "breachSamples": 4, "recoverSamples": 2}
        assert api["memoryPercent"] is None
        assert 'value="85.0"' in (await editor.get(f"/containers/{cid}")).text


async def test_a_refused_thresholds_form_shows_each_error_by_its_field_and_saves_nothing(
    start_hub: StartHub, clock: FrozenClock
) -> None:
    async with start_hub(clock=clock) as hub:
        agent, cid = await agent_with_container(hub, clock)
        admin, csrf = await signed_in(hub)
        form = {
            "csrf": csrf,
            "cpuPercent.threshold": "85",
            "cpuPercent.breachSamples": "0",
            "cpuPercent.recoverSamples": "2",
            "memoryPercent.threshold": "150",
            "memoryPercent.breachSamples": "3",
            "memoryPercent.recoverSamples": "3",
        }
        response = await admin.post(f"/containers/{cid}/thresholds", data=form)
        assert response.status_code == 400
        errors = dict(re.findall(r'id="e-f-([\w-]+)" class="field-error">([^<]*)<', response.text))
        assert set(errors) == {"cpuPercent-breachSamples", "memoryPercent-threshold"}
        assert 'value="150"' in response.text  # what was typed stays
        assert (await hub.admin.get(f"/api/v1/containers/{cid}/resources/alerts")).json()["cpuPercent"] is None

        host = await admin.post(
            f"/hosts/{agent['id']}/thresholds",
            data={"csrf": csrf, "diskPercent.threshold": "abc", "diskPercent.breachSamples": "1"},
        )
        assert host.status_code == 400
        assert 'id="e-f-diskPercent-threshold"' in host.text
        assert 'id="e-f-diskPercent-recoverSamples"' in host.text


async def test_a_viewer_sees_thresholds_but_no_form(start_hub: StartHub, clock: FrozenClock) -> None:
    async with start_hub(clock=clock) as hub:
        agent, cid = await agent_with_container(hub, clock)
        rule = {"cpuPercent": {"threshold": 70, "breachSamples": 2, "recoverSamples": 2}}
        await hub.admin.put(f"/api/v1/agents/{agent['id']}/resources/alerts", json=rule)
        viewer, csrf = await signed_in(hub, "vera", "viewer")
        shown = (await viewer.get(f"/hosts/{agent['id']}")).text
        assert "70.0%" in shown and 'name="cpuPercent.threshold"' not in shown
        refused = await viewer.post(f"/containers/{cid}/thresholds", data={"csrf": csrf, "cpuPercent.threshold": "5"})
        assert refused.status_code == 403
