"""Agent settings: options over environment over the TOML file; bad values name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchkeep.agent.config import AgentConfigError, load_agent_settings

TOML = """
[agent]
hub = "http://file.example:8080/"
agent_token = "from-file"
interval = 30
spool_max_bytes = 4096

[[agent.checks.http]]
name = "api"
url = "http://127.0.0.1:8000/healthz"
expected_status = 204

[[agent.checks.tls]]
host = "example.org"
port = 443
"""


def test_the_file_gives_settings_and_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    path = tmp_path / "agent.toml"
    path.write_text(TOML)
    settings = load_agent_settings(path)
    assert (settings.hub, settings.agent_token, settings.interval) == ("http://file.example:8080", "from-file", 30)
    assert settings.checks.http[0].expected_status == 204 and settings.checks.tls[0].port == 443
    assert settings.docker_host == "unix:///var/run/docker.sock"


def test_the_environment_beats_the_file_and_options_beat_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(TOML)
    monkeypatch.setenv("WATCHKEEP_HUB", "https://env.example")
    monkeypatch.setenv("WATCHKEEP_AGENT_TOKEN", "from-env")
    monkeypatch.setenv("WATCHKEEP_INTERVAL", "5")
    monkeypatch.setenv("DOCKER_HOST", "tcp://docker.example:2375")
    settings = load_agent_settings(path, interval=2.5)
    assert (settings.hub, settings.agent_token, settings.interval) == ("https://env.example", "from-env", 2.5)
    assert settings.docker_host == "tcp://docker.example:2375"


def test_a_bad_value_names_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHKEEP_SPOOL_MAX_BYTES", "lots")
    with pytest.raises(AgentConfigError, match="spool_max_bytes"):
        load_agent_settings()


def test_a_check_without_its_url_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text('[[agent.checks.http]]\nname = "api"\n')
    with pytest.raises(AgentConfigError, match=r"checks\.http\.0\.url"):
        load_agent_settings(path)
