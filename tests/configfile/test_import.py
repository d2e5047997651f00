"""Import: a diff by name, a dry run that writes nothing, pruning, all or nothing."""

from __future__ import annotations

import pytest

from tests.configfile.conftest import snapshot
from tests.configfile.objects import make_objects
from watchkeep.configfile.document import ConfigFileError
from watchkeep.configfile.service import export, import_file
from watchkeep.core.hub import Hub
from watchkeep.heartbeats.service import HeartbeatService

FILE = """\
version: 1
heartbeats:
  - name: billing
    periodSeconds: 600
  - name: nightly backup
    kind: cron
    cron: "0 3 * * *"
"""


async def test_a_dry_run_shows_the_changes_and_writes_nothing(hub: Hub) -> None:
    await make_objects(hub)
    exported = await export(hub)
    edited = exported.text.replace("periodSeconds: 600", "periodSeconds: 900").replace(
        "heartbeats:\n", "heartbeats:\n- name: aardvark\n  periodSeconds: 60\n", 1
    )
    edited = edited[: edited.index("webhooks:")] + "webhooks: []\n"
    before = await snapshot(hub)

    changes = await import_file(hub, edited, exported.variables, dry_run=True, prune=True)

    assert [change.line() for change in changes] == [
        "+ create heartbeats 'aardvark'",
        "~ update heartbeats 'billing' (periodSeconds)",
        "- delete webhooks 'ci'",
    ]
    assert await snapshot(hub) == before


async def test_an_update_names_the_changed_fields_of_a_channels_config(hub: Hub) -> None:
    await make_objects(hub)
    exported = await export(hub)
    edited = exported.text.replace("url: http://127.0.0.1:9\n", "url: http://127.0.0.1:10\n")
    variables = {**exported.variables, "WATCHKEEP_CHANNEL_PAGER_TOKEN": "another-token-0123456789"}

    changes = await import_file(hub, edited, variables, dry_run=True)

    assert [change.line() for change in changes] == ["~ update channels 'pager' (config.token, config.url)"]
    assert "another-token" not in changes[0].line()


async def test_import_creates_and_updates_by_name_and_keeps_the_monitor(hub: Hub) -> None:
    await import_file(hub, FILE, {})
    [billing] = [row for row in await HeartbeatService(hub).list_all() if row["name"] == "billing"]

    changes = await import_file(hub, FILE.replace("600", "1200"), {})

    assert [change.line() for change in changes] == ["~ update heartbeats 'billing' (periodSeconds)"]
    [after] = [row for row in await HeartbeatService(hub).list_all() if row["name"] == "billing"]
    assert (after["id"], after["uuid"], after["period_seconds"]) == (billing["id"], billing["uuid"], 1200)


async def test_without_prune_objects_the_file_does_not_name_stay(hub: Hub) -> None:
    await make_objects(hub)
    only_billing = "version: 1\nheartbeats:\n- name: billing\n  periodSeconds: 600\n  tags: [money]\n"

    assert await import_file(hub, only_billing, {}) == []
    changes = await import_file(hub, only_billing, {}, prune=True)

    # Only the section the file holds is pruned: channels, windows and webhooks stay.
    assert [change.line() for change in changes] == ["- delete heartbeats 'nightly backup'"]
    names = [row["name"] for row in await HeartbeatService(hub).list_all()]
    assert names == ["billing"]
    assert "name: pager" in (await export(hub)).text


async def test_one_bad_item_writes_nothing_at_all(hub: Hub) -> None:
    await make_objects(hub)
    before = await snapshot(hub)
    text = FILE.replace("600", "900") + "channels:\n  - name: broken\n    type: carrier-pigeon\n"

    with pytest.raises(ConfigFileError, match=r"^line 10: channels\[0\]\.type: unknown channel type"):
        await import_file(hub, text, {}, prune=True)

    assert await snapshot(hub) == before


async def test_a_name_given_twice_is_refused(hub: Hub) -> None:
    text = FILE + "  - name: billing\n    periodSeconds: 60\n"
    with pytest.raises(ConfigFileError, match=r"^line 8: heartbeats\[2\]\.name: 'billing' is named twice"):
        await import_file(hub, text, {})
