"""The status page in configuration as code: groups, components (naming their group) and
the page's settings export, import into an emptied hub, and export again byte for byte."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from tests.configfile.test_roundtrip import EMPTY
from tests.statuspage.conftest import BOTH_STORES
from watchkeep.configfile.service import export, import_file
from watchkeep.core.clock import FrozenClock
from watchkeep.core.config import Settings
from watchkeep.core.db import Store
from watchkeep.core.db.migrate import migrate
from watchkeep.core.hub import Hub
from watchkeep.statuspage.schemas import ComponentWrite, GroupWrite, PageSettingsWrite
from watchkeep.statuspage.service import StatusPageService


@pytest.fixture
async def hub(database_url: str, settings_for: Callable[..., Settings], clock: FrozenClock) -> AsyncIterator[Hub]:
    store = Store(database_url)
    await store.start()
    try:
        await migrate(store)
        yield Hub(settings=settings_for(database_url), store=store, clock=clock)
    finally:
        await store.close()


@BOTH_STORES
async def test_status_page_configuration_round_trips_byte_for_byte(hub: Hub) -> None:
    service = StatusPageService(hub)
    core = await service.create_group(GroupWrite(name="Core", description="what everything needs"))
    await service.create_group(GroupWrite(name="Extras"))
    await service.create_component(
        ComponentWrite.model_validate(
            {
                "name": "Website",
                "groupId": core.id,
                "matches": [{"type": "endpoint", "labels": {}}, {"type": "heartbeat", "labels": {"env": "prod"}}],
                "autoIncident": True,
            }
        )
    )
    await service.create_component(
        ComponentWrite.model_validate({"name": "Support desk", "slug": "desk", "overrideStatus": "degraded"})
    )
    await service.replace_settings(
        PageSettingsWrite(title="Acme status", description="How Acme runs", logo_url="/static/logo.svg", footer="Hi")
    )
    first = await export(hub)
    assert "statusComponents:\n- name: Support desk\n" in first.text
    assert "  group: Core\n" in first.text
    assert "statusPage:\n- page: public\n  title: Acme status\n" in first.text

    await import_file(hub, EMPTY, {}, prune=True)
    # The page itself is never pruned: the empty file's defaults updated it.
    assert (await export(hub)).text == EMPTY

    await import_file(hub, first.text, first.variables)
    second = await export(hub)
    assert second.text == first.text
    website = next(c for c in await service.components() if c.name == "Website")
    assert website.group_id == next(g.id for g in await service.groups() if g.name == "Core")
    assert website.auto_incident is True


async def test_a_component_naming_a_missing_group_is_refused_and_writes_nothing(hub: Hub) -> None:
    text = EMPTY.replace("statusComponents: []\n", "statusComponents:\n- name: Website\n  group: Nowhere\n")
    with pytest.raises(Exception, match="Nowhere"):
        await import_file(hub, text, {})
    assert await StatusPageService(hub).components() == []
