"""What is particular to some sections: agents' configs, endpoints' events, certificates'
names, silences' ends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.configfile.objects import make_agent, make_objects
from watchkeep.agents.service import AgentService
from watchkeep.configfile.document import ConfigFileError
from watchkeep.configfile.service import export, import_file
from watchkeep.core.events.tables import event_log
from watchkeep.core.hub import Hub

AGENTS = """\
version: 1
agents:
  - name: web-1
    pushIntervalSeconds: 30
    services:
      - containerName: nginx
        healthCheckUrl: http://127.0.0.1:8080/health
    metricsConfig:
      collectProcesses: false
  - name: not-registered-yet
    pushIntervalSeconds: 60
"""


async def test_an_agents_config_is_set_by_its_name_and_an_unknown_agent_is_skipped(hub: Hub) -> None:
    agent_id = await make_agent(hub)

    changes = await import_file(hub, AGENTS, {})

    assert [change.line() for change in changes] == [
        "! skip agents 'not-registered-yet' (the hub has none by this name; nothing is written for it)",
        "~ update agents 'web-1' (pushIntervalSeconds, services, metricsConfig.collectProcesses)",
    ]
    service = AgentService(hub)
    config = service.config_of(await service.get_row(agent_id))
    assert config.push_interval_seconds == 30
    assert [s.container_name for s in config.services] == ["nginx"]
    assert config.metrics_config.collect_processes is False
    # Again: only the warning, no change.
    assert [change.action for change in await import_file(hub, AGENTS, {})] == ["skip"]


async def test_prune_never_deletes_an_agent(hub: Hub) -> None:
    await make_agent(hub, "web-1")
    await make_agent(hub, "web-2")
    exported = await export(hub)

    changes = await import_file(hub, "version: 1\nagents: []\n", {}, prune=True)

    assert changes == []
    assert (await export(hub)).text == exported.text


async def test_agents_configs_round_trip_on_a_hub_that_has_the_agents(hub: Hub) -> None:
    await make_agent(hub)
    await import_file(hub, AGENTS, {})
    exported = await export(hub)
    assert "containerName: nginx" in exported.text
    assert await import_file(hub, exported.text, {}, dry_run=True) == []


async def test_a_pruned_endpoint_logs_its_deletion_in_the_same_unit(hub: Hub) -> None:
    await make_objects(hub)
    exported = await export(hub)
    start, end = exported.text.index("- name: db port"), exported.text.index("certificates:")
    changes = await import_file(hub, exported.text[:start] + exported.text[end:], exported.variables, prune=True)

    assert [change.line() for change in changes] == ["- delete endpoints 'db port'"]
    async with hub.store.read() as conn:
        types = [row[0] for row in await conn.execute(select(event_log.c.type))]
    assert "endpoint.deleted" in types


async def test_a_certificate_monitor_is_named_by_its_target(hub: Hub) -> None:
    await make_objects(hub)
    text = (await export(hub)).text
    assert "certificates:\n- name: example.org:443\n  host: example.org\n" in text

    with pytest.raises(ConfigFileError, match=r"^line 3: certificates\[0\]\.name: a certificate monitor is named"):
        await import_file(hub, "version: 1\ncertificates:\n  - name: mine\n    host: example.org\n", {})
    changes = await import_file(hub, "version: 1\ncertificates:\n  - host: example.org\n    thresholdsDays: [30]\n", {})
    assert [change.line() for change in changes] == ["~ update certificates 'example.org:443' (thresholdsDays)"]


async def test_a_silence_is_matched_by_its_comment_and_needs_an_end(hub: Hub) -> None:
    await make_objects(hub)
    text = "version: 1\nsilences:\n  - comment: vendor outage\n    durationSeconds: 3600\n"
    with pytest.raises(ConfigFileError, match=r"^line 4: silences\[0\]\.durationSeconds: a file gives endsAt"):
        await import_file(hub, text, {})

    moved = (
        "version: 1\nsilences:\n  - comment: vendor outage\n    matchers: {source: endpoint}\n"
        "    endsAt: '2030-01-03T00:00:00Z'\n"
    )
    changes = await import_file(hub, moved, {})

    # The start left out is the silence's own; only the end moves.
    assert [change.line() for change in changes] == ["~ update silences 'vendor outage' (endsAt)"]
    assert await import_file(hub, moved, {}) == []
    assert "endsAt: '2030-01-03T00:00:00Z'" in (await export(hub)).text
