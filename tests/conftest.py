from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.support import postgres
from tests.support.hub import ADMIN_PASSWORD, RunningHub, running_hub
from watchkeep.core.clock import Clock, FrozenClock
from watchkeep.core.config import Settings
from watchkeep.core.db import Store
from watchkeep.core.db.migrate import migrate

_template: str | None = None


async def _postgres_template() -> str:
    """A database migrated once per test session, cloned for each test."""
    global _template
    if _template is None:
        name = await postgres.create_database()
        store = Store(postgres.database_url(name))
        await store.start()
        try:
            await migrate(store)
        finally:
            await store.close()
        _template = name
    return _template


# Tests run on two workers (`make test`: pytest-xdist, `--dist loadgroup`). The expensive
# session fixtures stay one per session: every test that uses the Docker engine runs on one
# worker (one dockerd), every browser test on one worker (one chromium).
SHARED_FIXTURE_GROUPS = (("docker_engine", "docker"), ("browser", "browser"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        for fixture, group in SHARED_FIXTURE_GROUPS:
            if fixture in names:
                item.add_marker(pytest.mark.xdist_group(group))
                break


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _template is not None:
        import asyncio

        asyncio.run(postgres.drop_database(_template))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'watchkeep.db'}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh database cloned from the migrated template."""
    await postgres.require()
    name = await postgres.create_database(template=await _postgres_template())
    try:
        yield postgres.database_url(name)
    finally:
        await postgres.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database of each kind. A test module about something other than
    storage may override this fixture with `sqlite_url`."""
    url: str = request.getfixturevalue({"sqlite": "sqlite_url", "postgresql": "postgres_url"}[request.param])
    return url


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Settings]:
    def make(database_url: str, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "data_dir": tmp_path,
            "admin_password": ADMIN_PASSWORD,
            "base_url": "http://hub.test",
            "docker_host": f"unix://{tmp_path / 'no-docker.sock'}",
            # tests that want the hub to watch its own host turn this on
            "self_monitor": False,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def start_hub(
    database_url: str, settings_for: Callable[..., Settings]
) -> Callable[..., AbstractAsyncContextManager[RunningHub]]:
    """`async with start_hub(**settings) as hub:` runs a hub on the test's database."""

    def start(clock: Clock | None = None, **overrides: Any) -> AbstractAsyncContextManager[RunningHub]:
        return running_hub(settings_for(database_url, **overrides), clock=clock)

    return start


@pytest.fixture
async def hub(
    start_hub: Callable[..., AbstractAsyncContextManager[RunningHub]],
) -> AsyncIterator[RunningHub]:
    async with start_hub() as running:
        yield running
