"""Secrets at rest: the key (WATCHKEEP_SECRET_KEY or a private key file), rows written in the
clear by older versions sealed at start, a wrong key refused at start, and the permissions of
the data dir, the database and the key file."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from tests.support.alerting import QUIET_LOOPS, agent_offline, deliver
from tests.support.hub import running_hub
from tests.support.process import start_serve
from tests.support.receiver import running_receiver
from watchkeep.agents.tables import agent_signing_keys
from watchkeep.core.config import Settings
from watchkeep.notify.tables import channels
from watchkeep.webhooks.tables import webhooks

TOKEN = "Bearer legacy-token-0123456789"
KEY_A = "the-first-key-of-this-hub-0123456789"
KEY_B = "another-key-entirely-0123456789abcdef"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
async def test_the_data_dir_database_and_key_file_are_private_whatever_the_umask(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    data = tmp_path / "data"
    settings = settings_for(f"sqlite:///{data / 'watchkeep.db'}", data_dir=data, **QUIET_LOOPS)
    async with running_hub(settings) as hub:
        created = await hub.admin.post("/api/v1/webhooks", json={"name": "w", "url": "http://127.0.0.1:9/x"})
        assert created.status_code == 201
        assert mode(data) == 0o700
        for name in ("watchkeep.db", "watchkeep.db-wal", "watchkeep.db-shm", "secret.key"):
            assert mode(data / name) == 0o600, name


async def test_files_found_wider_are_named_once_in_a_warning(
    tmp_path: Path, settings_for: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    settings = settings_for(f"sqlite:///{data / 'watchkeep.db'}", data_dir=data, **QUIET_LOOPS)
    async with running_hub(settings):
        pass
    os.chmod(data, 0o755)
    os.chmod(data / "watchkeep.db", 0o644)
    with caplog.at_level(logging.WARNING, logger="watchkeep.files"):
        async with running_hub(settings):
            pass
        async with running_hub(settings):
            pass
    warned = [r.getMessage() for r in caplog.records if r.name == "watchkeep.files"]
    assert len([m for m in warned if m.startswith(f"{data} has mode 0o755")]) == 1
    assert len([m for m in warned if m.startswith(f"{data / 'watchkeep.db'} has mode 0o644")]) == 1


async def test_rows_stored_in_the_clear_are_sealed_at_start_and_keep_working(
    database_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with running_receiver() as receiver:
        settings = settings_for(database_url, secret_key=KEY_A, **QUIET_LOOPS)
        clear_config = json.dumps({"url": f"{receiver.url}/hook", "headers": {"Authorization": TOKEN}})
        async with running_hub(settings) as hub:
            channel = await hub.admin.post(
                "/api/v1/channels", json={"name": "ops", "type": "webhook", "config": json.loads(clear_config)}
            )
            assert channel.status_code == 201

            # What an older version left: the config, a subscription and the signing key in the clear.
            async def legacy(conn: Any) -> None:
                await conn.execute(update(channels).values(config=clear_config))
                row = {
                    "id": "whk_legacy",
                    "name": "legacy",
                    "url": f"{receiver.url}/legacy",
                    "secret": "legacy-signing-secret-0123",
                    "event_types": '["*"]',
                    "enabled": True,
                    "consecutive_failures": 0,
                    "created_at": 0,
                    "updated_at": 0,
                }
                await conn.execute(insert(webhooks).values(**row))
                await conn.execute(update(agent_signing_keys).values(secret="legacy-signing-key"))

            await hub.hub.store.write(legacy)
        async with running_hub(settings) as hub:
            async with hub.hub.store.read() as conn:
                [config] = (await conn.execute(select(channels.c.config))).scalars()
                [(url, secret)] = (await conn.execute(select(webhooks.c.url, webhooks.c.secret))).all()
                [key] = (await conn.execute(select(agent_signing_keys.c.secret))).scalars()
            for value in (config, url, secret, key):
                assert value.startswith("wkenc1:")
            assert hub.hub.secrets.open(key) == "legacy-signing-key"
            assert hub.hub.secrets.open(secret) == "legacy-signing-secret-0123"
            shown = (await hub.admin.get("/api/v1/channels")).json()
            assert "legacy-token" not in json.dumps(shown)
            await agent_offline(hub)
            await deliver(hub)
            by_path = {r.path: r for r in receiver.requests}
            assert by_path["/hook"].headers["authorization"] == TOKEN
            assert "/legacy" in by_path


async def stopped_at_start(tmp_path: Path, database_url: str, env: dict[str, str]) -> str:
    """Run `watchkeep serve` until it exits; its stderr."""
    serve = start_serve(tmp_path, database_url, env=env)
    try:
        code = await asyncio.to_thread(serve.process.wait, 60)
    finally:
        serve.terminate()
    assert code != 0
    return serve.stderr()


async def test_a_hub_started_with_another_key_refuses_to_start(
    tmp_path: Path, sqlite_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with running_hub(settings_for(sqlite_url, secret_key=KEY_A, **QUIET_LOOPS)) as hub:
        body = {"name": "ops", "type": "gotify", "config": {"url": "http://127.0.0.1:9", "token": "t-0123456789"}}
        assert (await hub.admin.post("/api/v1/channels", json=body)).status_code == 201
    stderr = await stopped_at_start(tmp_path, sqlite_url, {"WATCHKEEP_SECRET_KEY": KEY_B})
    assert "cannot start: the secret key from WATCHKEEP_SECRET_KEY does not decrypt the secrets stored" in stderr


async def test_a_lost_key_file_is_a_clear_error_at_start(
    tmp_path: Path, sqlite_url: str, settings_for: Callable[..., Settings]
) -> None:
    data = tmp_path / "data"  # where `watchkeep serve` keeps its key file in these tests
    async with running_hub(settings_for(sqlite_url, data_dir=data, **QUIET_LOOPS)) as hub:
        body = {"name": "ops", "type": "gotify", "config": {"url": "http://127.0.0.1:9", "token": "t-0123456789"}}
        assert (await hub.admin.post("/api/v1/channels", json=body)).status_code == 201
    (data / "secret.key").unlink()
    stderr = await stopped_at_start(tmp_path, sqlite_url, {})
    assert f"cannot start: the secret key from {data / 'secret.key'} does not decrypt" in stderr


async def test_a_replica_with_another_key_is_refused_before_any_secret_is_stored(
    tmp_path: Path, postgres_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with running_hub(settings_for(postgres_url, secret_key=KEY_A, **QUIET_LOOPS)) as hub:
        assert (await hub.admin.get("/api/v1/channels")).json() == []
        stderr = await stopped_at_start(tmp_path, postgres_url, {"WATCHKEEP_SECRET_KEY": KEY_B})
    assert "cannot start: the secret key from WATCHKEEP_SECRET_KEY does not decrypt the secrets stored" in stderr
