"""The `watchkeep` command."""

from __future__ import annotations

import inspect
import os
import subprocess
from pathlib import Path

import httpx2
import pytest

from tests.support.process import WATCHKEEP, start_serve
from watchkeep import __version__
from watchkeep.cli import serve
from watchkeep.core.config import Settings


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "300"}
    return subprocess.run([WATCHKEEP, *args], capture_output=True, text=True, input=input, timeout=60, env=env)


def test_version_prints_the_version() -> None:
    assert _run("--version").stdout.strip() == f"watchkeep {__version__}"


def test_serve_help_documents_every_setting() -> None:
    help_text = _run("serve", "--help").stdout
    for name in Settings.model_fields:
        assert f"--{name.replace('_', '-')}" in help_text, name
        assert f"WATCHKEEP_{name.upper()}" in help_text, name


def test_serve_takes_its_options_from_the_settings_model() -> None:
    # One source: a setting added to Settings is an option of `serve` with nothing else to write.
    assert list(inspect.signature(serve).parameters) == ["config", *Settings.model_fields]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--event-poll-seconds", "0"], "event_poll_seconds"),
        (["--no-self-monitor", "--log-level", "loud"], "log_level"),
        (["--port", "70000"], "port"),
        (["--database-url", "mysql://db"], "database_url"),
    ],
)
def test_serve_options_are_checked_by_the_settings(args: list[str], field: str) -> None:
    result = _run("serve", *args)
    assert result.returncode == 2
    assert "Invalid settings" in result.stdout and field in result.stdout


def test_a_key_created_on_the_command_line_works_against_the_running_hub(database_url: str, tmp_path: Path) -> None:
    hub = start_serve(tmp_path, database_url)
    try:
        hub.wait_healthy()
        result = _run("key", "create", "--name", "ci", "--scopes", "read,write", "--database-url", database_url)
        assert result.returncode == 0, result.stderr
        key = result.stdout.strip().splitlines()[-1]
        assert key.startswith("wk_")
        me = httpx2.get(f"{hub.url}/api/v1/me", headers={"X-API-Key": key})
        assert me.status_code == 200
        assert me.json()["scopes"] == ["read", "write"]
        listed = _run("key", "list", "--database-url", database_url)
        assert "ci" in listed.stdout and key not in listed.stdout
    finally:
        hub.terminate()


def test_users_are_managed_on_the_command_line(database_url: str) -> None:
    created = _run(
        "user", "create", "grace", "--role", "editor", "--password", "hopper-123", "--database-url", database_url
    )
    assert created.returncode == 0, created.stderr
    assert "grace" in _run("user", "list", "--database-url", database_url).stdout
    duplicate = _run("user", "create", "grace", "--password", "hopper-123", "--database-url", database_url)
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stdout
    assert _run("user", "passwd", "grace", "--password", "hopper-456", "--database-url", database_url).returncode == 0
    assert _run("user", "delete", "grace", "--database-url", database_url).returncode == 0
    assert "grace" not in _run("user", "list", "--database-url", database_url).stdout


def test_migrate_applies_the_schema_once(database_url: str) -> None:
    assert "Schema migrated." in _run("migrate", "--database-url", database_url).stdout
    assert "Schema already current." in _run("migrate", "--database-url", database_url).stdout


def test_first_start_prints_a_random_admin_password_once(database_url: str, tmp_path: Path) -> None:
    env = {"WATCHKEEP_ADMIN_PASSWORD": ""}
    first = start_serve(tmp_path, database_url, name="first", env=env)
    try:
        first.wait_healthy()
    finally:
        first.terminate()
    lines = first.stdout().splitlines()
    password = lines[lines.index(next(line for line in lines if "shown only now" in line)) + 2].strip()
    second = start_serve(tmp_path, database_url, name="second", env=env)
    try:
        second.wait_healthy()
        login = httpx2.post(f"{second.url}/api/v1/auth/login", json={"username": "admin", "password": password})
        assert login.status_code == 200
    finally:
        second.terminate()
    assert "shown only now" not in second.stdout()


def test_json_logs_carry_one_line_per_request_with_its_id(database_url: str, tmp_path: Path) -> None:
    import json

    hub = start_serve(tmp_path, database_url, args=["--log-format", "json"])
    try:
        hub.wait_healthy()
        httpx2.get(f"{hub.url}/api/v1/nope", headers={"X-Request-ID": "trace-me-1"})
    finally:
        hub.terminate()
    lines = [json.loads(line) for line in hub.stderr().splitlines() if line.startswith("{")]
    ours = [line for line in lines if line["requestId"] == "trace-me-1"]
    assert len(ours) == 1
    assert ours[0]["method"] == "GET"
    assert ours[0]["path"] == "/api/v1/nope"
    assert ours[0]["status"] == 404
    assert ours[0]["durationMs"] >= 0
