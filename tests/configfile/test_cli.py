"""`watchkeep export` and `watchkeep import` as commands, from one hub to a new one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from tests.configfile.objects import GOTIFY_TOKEN, make_objects
from watchkeep.cli import app as cli
from watchkeep.core.clock import FrozenClock
from watchkeep.core.config import Settings
from watchkeep.core.db import Store
from watchkeep.core.db.migrate import migrate
from watchkeep.core.hub import Hub

ENV = {"WATCHKEEP_ALLOW_PRIVATE_TARGETS": "true"}


async def _fill(settings: Settings) -> None:
    store = Store(settings.database_url)
    await store.start()
    try:
        await migrate(store)
        await make_objects(Hub(settings=settings, store=store, clock=FrozenClock()))
    finally:
        await store.close()


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={**ENV, **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def test_export_and_import_move_the_configuration_to_a_new_hub(
    tmp_path: Path, database_url: str, settings_for: Callable[..., Settings]
) -> None:
    source = settings_for(database_url, allow_private_targets=True)
    asyncio.run(_fill(source))
    target_dir = tmp_path / "target"
    target_dir.mkdir(mode=0o700)
    target = ["--database-url", f"sqlite:///{target_dir / 'watchkeep.db'}", "--data-dir", str(target_dir)]
    exported = tmp_path / "watchkeep.yaml"

    code, _, notice = _run(
        "export", "--output", str(exported), "--database-url", database_url, "--data-dir", str(tmp_path)
    )
    assert code == 0, notice
    text = exported.read_text()
    assert GOTIFY_TOKEN not in text
    assert "WATCHKEEP_CHANNEL_PAGER_TOKEN" in notice and GOTIFY_TOKEN not in notice

    code, output, _ = _run("import", str(exported), *target)
    assert code == 1
    assert ": line 30: channels[0].config.headers.Authorization: the environment variable " in output
    assert "WATCHKEEP_CHANNEL_HOOK_HEADERS_AUTHORIZATION is not set" in output

    secrets = {
        "WATCHKEEP_CHANNEL_PAGER_TOKEN": GOTIFY_TOKEN,
        "WATCHKEEP_CHANNEL_HOOK_HEADERS_AUTHORIZATION": "Bearer x",
        "WATCHKEEP_WEBHOOK_CI_SECRET": "whsec_0123456789abcdef",
        "WATCHKEEP_ENDPOINT_API_HEADERS_AUTHORIZATION": "Bearer y",
    }
    code, output, _ = _run("import", str(exported), "--dry-run", *target, env=secrets)
    assert code == 0 and "+ create heartbeats 'billing'" in output and "nothing written" in output
    code, output, _ = _run("import", str(exported), *target, env=secrets)
    assert code == 0 and "Applied 12 change(s)." in output
    code, output, _ = _run("import", str(exported), "--dry-run", "--prune", *target, env=secrets)
    assert code == 0 and output.strip() == "No changes."

    code, again, _ = _run("export", *target)
    assert code == 0
    assert again == text


def test_a_bad_file_is_refused_with_its_line(tmp_path: Path, sqlite_url: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nheartbeats:\n  - name: x\n    graceSeconds: nope\n")
    code, output, _ = _run("import", str(bad), "--database-url", sqlite_url, "--data-dir", str(tmp_path))
    assert code == 1
    assert "line 4: heartbeats[0].graceSeconds:" in output
