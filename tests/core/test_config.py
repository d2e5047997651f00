"""Settings: defaults, the TOML file, the environment and options, in that order of strength."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from watchkeep.core.config import load_settings


def test_defaults_are_sqlite_in_the_data_dir_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WATCHKEEP_DATABASE_URL", "WATCHKEEP_DATA_DIR", "WATCHKEEP_HOST", "WATCHKEEP_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert settings.database_url == "sqlite:///data/watchkeep.db"
    assert settings.base_url == "http://127.0.0.1:8080"


def test_the_environment_beats_the_file_and_options_beat_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "watchkeep.toml"
    config.write_text('port = 9000\nlog_format = "json"\nbase_url = "https://watch.example.org/"\n')
    assert load_settings(config).port == 9000
    assert load_settings(config).base_url == "https://watch.example.org"
    monkeypatch.setenv("WATCHKEEP_PORT", "9100")
    assert load_settings(config).port == 9100
    assert load_settings(config).log_format == "json"
    assert load_settings(config, port=9200).port == 9200


def test_trusted_proxies_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHKEEP_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16")
    assert load_settings().trusted_proxies == ["10.0.0.1", "192.168.0.0/16"]


def test_a_bad_database_url_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as error:
        load_settings(database_url="mysql://x")
    assert "database_url" in str(error.value)
