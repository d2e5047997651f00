"""The agent's settings: `watchkeep agent` options, `WATCHKEEP_*` environment variables and a
TOML file, in that order of precedence. Local checks are configured only in the TOML file."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from watchkeep.protocol.ingest import Port

ENV_PREFIX = "WATCHKEEP_"


def default_spool_dir() -> Path:
    """The user's data directory (XDG), or /var/lib for root."""
    if os.geteuid() == 0:
        return Path("/var/lib/watchkeep/agent-spool")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "watchkeep" / "agent-spool"


class HttpCheck(BaseModel):
    name: str
    url: str
    expected_status: int = Field(200, ge=100, le=599)
    timeout_seconds: float = Field(5.0, gt=0, le=120)


class TcpCheck(BaseModel):
    host: str
    port: Port
    name: str | None = None
    timeout_seconds: float = Field(5.0, gt=0, le=120)


class LocalChecks(BaseModel):
    http: list[HttpCheck] = Field(default_factory=list)
    tcp: list[TcpCheck] = Field(default_factory=list)
    tls: list[TcpCheck] = Field(default_factory=list)


class AgentSettings(BaseModel):
    """Every setting of the agent. Each is `WATCHKEEP_<NAME>` in the environment (the hub URL
    is `WATCHKEEP_HUB`, the token `WATCHKEEP_AGENT_TOKEN`), `<name>` in the TOML file's
    `[agent]` table and `--<name>` on `watchkeep agent`."""

    hub: str = Field("", description="URL of the hub the agent pushes to.")
    agent_token: str = Field("", description="Agent token (Bearer) for pushing.")
    api_key: str = Field("", description="API key with scope agents:register; the agent registers with it.")
    name: str = Field("", description="Agent name used when registering; default the host name.")
    interval: float | None = Field(
        None,
        gt=0,
        le=3600,
        description="Seconds between samples; when set it wins over the hub's push interval, which applies otherwise.",
    )
    spool_dir: Path = Field(default_factory=default_spool_dir, description="Directory of the on-disk spool.")
    spool_max_bytes: int = Field(50 * 1024 * 1024, ge=1024, description="Largest size of the spool in bytes.")
    spool_max_age_seconds: int = Field(7 * 86400, ge=60, description="Oldest payload kept in the spool, in seconds.")
    host_root: Path = Field(Path("/"), description="Where the host's filesystem is mounted (/host in a container).")
    docker_host: str = Field("", description="Docker Engine API address; default DOCKER_HOST or the local socket.")
    docker_concurrency: int = Field(4, ge=1, le=64, description="Containers whose stats are read at once.")
    statfs_timeout_seconds: float = Field(2.0, gt=0, description="Time allowed per filesystem before it is skipped.")
    config_refresh_seconds: float = Field(60.0, gt=0, description="How often the hub's agent config is fetched.")
    request_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of each request to the hub.")
    backoff_max_seconds: float = Field(300.0, gt=0, description="Longest wait between retries to the hub.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Lowest level logged.")
    checks: LocalChecks = Field(default_factory=LocalChecks, description="Local checks (TOML only).")

    @field_validator("hub")
    @classmethod
    def _check_hub(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("hub must be an http:// or https:// URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _docker_default(self) -> AgentSettings:
        if not self.docker_host:
            self.docker_host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        return self

    def require_credentials(self) -> None:
        if not self.hub:
            raise AgentConfigError("hub: the hub URL is required (--hub or WATCHKEEP_HUB)")
        if not (self.agent_token or self.api_key):
            raise AgentConfigError("agent_token: a token (--token) or an API key (--api-key) is required")


class AgentConfigError(Exception):
    pass


_ENV_NAMES = {"hub": "WATCHKEEP_HUB", "agent_token": "WATCHKEEP_AGENT_TOKEN"}


def env_name(field: str) -> str:
    return _ENV_NAMES.get(field, ENV_PREFIX + field.upper())


def load_agent_settings(config_file: Path | None = None, **overrides: Any) -> AgentSettings:
    """Settings from (highest first) `overrides`, the environment, `config_file`, defaults."""
    values: dict[str, Any] = {}
    if config_file is not None:
        with config_file.open("rb") as handle:
            data = tomllib.load(handle)
        table = data.get("agent", data)
        values.update({str(k).replace("-", "_"): v for k, v in table.items()})
    for field in AgentSettings.model_fields:
        if field == "checks":
            continue
        value = os.environ.get(env_name(field))
        if value is not None and value != "":
            values[field] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return AgentSettings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AgentConfigError(f"{where}: {first['msg']}") from None
