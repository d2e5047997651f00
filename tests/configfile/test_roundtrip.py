"""Export, import into an empty hub, export again: the same bytes."""

from __future__ import annotations

from tests.configfile.conftest import snapshot
from tests.configfile.objects import GOTIFY_TOKEN, HEADER_TOKEN, WEBHOOK_SECRET, make_objects
from watchkeep.configfile.service import export, import_file
from watchkeep.core.hub import Hub

EMPTY = (
    "version: 1\nheartbeats: []\nchannels: []\nsilences: []\nmaintenanceWindows: []\nwebhooks: []\nagents: []\n"
    "endpoints: []\ncertificates: []\nupdateExclusions: []\nstatusGroups: []\nstatusComponents: []\n"
    "statusPage:\n- page: public\n"
    "  title: Status\n  description: ''\n  logoUrl: ''\n  footer: ''\n"
)


async def test_an_empty_hub_exports_every_section_empty(hub: Hub) -> None:
    exported = await export(hub)
    assert exported.text == EMPTY
    assert exported.variables == {}


async def test_export_then_import_into_an_emptied_hub_exports_the_same_bytes(hub: Hub) -> None:
    await make_objects(hub)
    first = await export(hub)
    assert first.text.startswith("version: 1\nheartbeats:\n- name: billing\n")

    removed = await import_file(hub, EMPTY, {}, prune=True)
    assert {change.action for change in removed} == {"delete"}
    assert len(removed) == 12
    assert (await export(hub)).text == EMPTY

    created = await import_file(hub, first.text, first.variables)
    assert [(change.section, change.action) for change in created].count(("channels", "create")) == 2
    second = await export(hub)
    assert second.text == first.text
    assert second.variables == first.variables


async def test_secrets_are_written_as_references_only(hub: Hub) -> None:
    await make_objects(hub)
    exported = await export(hub)
    for secret in (GOTIFY_TOKEN, HEADER_TOKEN, WEBHOOK_SECRET, "header-token", "Bearer"):
        assert secret not in exported.text
    assert "token: ${WATCHKEEP_CHANNEL_PAGER_TOKEN}" in exported.text
    assert "Authorization: ${WATCHKEEP_CHANNEL_HOOK_HEADERS_AUTHORIZATION}" in exported.text
    assert "secret: ${WATCHKEEP_WEBHOOK_CI_SECRET}" in exported.text
    assert "Authorization: ${WATCHKEEP_ENDPOINT_API_HEADERS_AUTHORIZATION}" in exported.text
    assert "Accept: application/json" in exported.text
    assert exported.variables == {
        "WATCHKEEP_CHANNEL_PAGER_TOKEN": GOTIFY_TOKEN,
        "WATCHKEEP_CHANNEL_HOOK_HEADERS_AUTHORIZATION": HEADER_TOKEN,
        "WATCHKEEP_WEBHOOK_CI_SECRET": WEBHOOK_SECRET,
        "WATCHKEEP_ENDPOINT_API_HEADERS_AUTHORIZATION": HEADER_TOKEN,
    }


async def test_a_url_carrying_credentials_is_a_reference_too(hub: Hub) -> None:
    text = (
        "version: 1\nwebhooks:\n- name: ci\n  url: http://user:pw@127.0.0.1:9/events?token=abc\n  secret: ${SECRET}\n"
    )
    await import_file(hub, text, {"SECRET": WEBHOOK_SECRET})
    exported = await export(hub)
    assert "pw@" not in exported.text and "token=abc" not in exported.text
    assert "url: ${WATCHKEEP_WEBHOOK_CI_URL}" in exported.text
    assert exported.variables["WATCHKEEP_WEBHOOK_CI_URL"] == "http://user:pw@127.0.0.1:9/events?token=abc"


async def test_importing_the_same_file_twice_changes_nothing_the_second_time(hub: Hub) -> None:
    await make_objects(hub)
    exported = await export(hub)
    await import_file(hub, EMPTY, {}, prune=True)
    assert await import_file(hub, exported.text, exported.variables)
    before = await snapshot(hub)

    assert await import_file(hub, exported.text, exported.variables, dry_run=True) == []
    assert await import_file(hub, exported.text, exported.variables, prune=True) == []
    assert await snapshot(hub) == before


async def test_importing_a_hubs_own_export_changes_nothing(hub: Hub) -> None:
    await make_objects(hub)
    before = await snapshot(hub)
    exported = await export(hub)
    assert await import_file(hub, exported.text, exported.variables, prune=True) == []
    assert await snapshot(hub) == before
