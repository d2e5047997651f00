"""One settings object for the hub and its commands: `WATCHKEEP_*` environment variables,
an optional TOML file, and command-line options (which win)."""

from __future__ import annotations

import ipaddress
import tomllib
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from cronsim import CronSim
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

_config_file: ContextVar[Path | None] = ContextVar("watchkeep_config_file", default=None)


class _TomlSource(PydanticBaseSettingsSource):
    """Values from the `--config` TOML file; keys are the setting names without the prefix
    (`port = 8080`, `database_url = "..."`)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = _config_file.get()
        self._values: dict[str, Any] = {}
        if path is not None:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
            table = data.get("watchkeep", data)
            self._values = {str(k).replace("-", "_"): v for k, v in table.items()}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        names = set(self.settings_cls.model_fields)
        return {k: v for k, v in self._values.items() if k in names}


class Settings(BaseSettings):
    """Every setting of the hub. Each is `WATCHKEEP_<NAME>` in the environment, `<name>` in
    the TOML file and `--<name>` on `watchkeep serve`."""

    model_config = SettingsConfigDict(env_prefix="WATCHKEEP_", extra="ignore")

    host: str = Field("127.0.0.1", description="Address the hub listens on.")
    port: int = Field(8080, ge=1, le=65535, description="TCP port the hub listens on.")
    data_dir: Path = Field(Path("./data"), description="Directory for the SQLite database and other state.")
    database_url: str = Field(
        "",
        description="sqlite:///path or postgresql://user@host/db; default sqlite:///<data_dir>/watchkeep.db.",
    )
    base_url: str = Field(
        "",
        description="Public URL of the hub, used in links and snippets; default http://<host>:<port>.",
    )
    admin_password: SecretStr | None = Field(
        None,
        description="Password for the `admin` user created on first start; random and printed once if unset.",
    )
    secret_key: SecretStr | None = Field(
        None,
        min_length=32,
        description=(
            "Key (32+ characters) that encrypts stored channel and webhook secrets and the agent-token "
            "signing key; if unset, one is generated into <data_dir>/secret.key. Required with "
            "several replicas (they must all use the same key)."
        ),
    )
    log_format: Literal["text", "json"] = Field("text", description="Log line format: text or json.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Lowest level logged.")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest request body accepted, in bytes (413 above).")
    body_timeout_seconds: float = Field(
        30.0, gt=0, le=3600, description="Time a client has to send a request's whole body, in seconds (408 after)."
    )
    session_ttl_seconds: int = Field(1_209_600, ge=60, description="Lifetime of a UI login session, in seconds.")
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed logins allowed per user and client address within the login window.",
    )
    login_window_seconds: int = Field(900, ge=1, description="Window for counting failed logins, in seconds.")
    api_rate_limit_per_minute: int = Field(
        1200,
        ge=0,
        description="Requests per minute allowed per API client on /api/v1 (0 turns the limit off).",
    )
    login_rate_limit_per_minute: int = Field(
        30, ge=0, description="Login requests per minute per client address (0 turns the limit off)."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Addresses or networks of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto "
            "are believed (comma-separated)."
        ),
    )
    docker_host: str = Field(
        "unix:///var/run/docker.sock",
        description="Docker Engine API address (unix:///path/to/docker.sock).",
    )
    write_batch_size: int = Field(
        256, ge=1, description="Most queued writes committed together in one SQLite transaction."
    )
    migrate_lock_timeout_seconds: int = Field(
        120,
        ge=1,
        description="How long a starting hub waits for another replica's migration, in seconds.",
    )
    shutdown_grace_seconds: int = Field(
        10, ge=0, description="Time allowed for in-flight requests on shutdown, in seconds."
    )

    # Heartbeats (watchkeep/heartbeats)
    heartbeat_ping_body_limit: int = Field(
        10_000, ge=0, description="Bytes of a ping's body kept with the ping (the rest is dropped)."
    )
    heartbeat_ping_retention: int = Field(1000, ge=1, description="Pings kept per heartbeat monitor (the newest).")
    heartbeat_execution_retention_days: int = Field(90, ge=1, description="Days of heartbeat executions kept.")
    heartbeat_ping_rate_limit_per_minute: int = Field(
        6000, ge=0, description="Pings per minute accepted from one client address (0 turns the limit off)."
    )
    heartbeat_deadline_interval_seconds: float = Field(
        2.0, gt=0, le=300, description="How often each hub looks for missed heartbeat deadlines, in seconds."
    )

    # The public status page (watchkeep/statuspage)
    status_page_refresh_seconds: float = Field(
        10.0,
        gt=0,
        le=300,
        description="How often each hub re-derives the status page's component statuses, in seconds "
        "(monitor events trigger it at once; this catches what changes with time alone).",
    )
    status_page_rate_limit_per_minute: int = Field(
        600, ge=0, description="Requests per minute to the public status routes from one client address (0: no limit)."
    )

    # Certificates (watchkeep/certificates)
    certificate_check_interval_seconds: float = Field(
        30.0, gt=0, le=3600, description="How often each hub looks for certificate checks that are due, in seconds."
    )
    certificate_check_concurrency: int = Field(8, ge=1, le=256, description="Certificate checks one hub runs at once.")
    certificate_check_timeout_seconds: float = Field(
        10.0, gt=0, le=120, description="Time allowed to connect and complete a TLS handshake, in seconds."
    )
    certificate_ca_bundle: str | None = Field(
        None, description="PEM file of the CAs certificate chains are verified against (default: the system store)."
    )

    # Image updates (watchkeep/updates)
    updates_scan_cron: str = Field(
        "0 4 * * *",
        description="When the scheduled image update scan runs (cron, five fields, UTC); empty: no scheduled scans.",
    )
    registry_auth: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description=(
            "Registry credentials by host (a TOML table, or JSON in the environment): "
            '{"ghcr.io": {"username": "...", "password": "..."}} or {"host": {"token": "..."}}.'
        ),
    )
    registry_insecure_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Registry hosts spoken to over plain HTTP (comma-separated host[:port]; loopback always is).",
    )
    registry_concurrency: int = Field(4, ge=1, le=64, description="Requests one hub sends to one registry at once.")
    registry_timeout_seconds: float = Field(20.0, gt=0, le=300, description="Time allowed for one registry request.")
    registry_tags_page_size: int = Field(
        100, ge=1, le=10_000, description="Tags asked for per page of a registry's tag list (`?n=`)."
    )
    updates_scan_concurrency: int = Field(
        16, ge=1, le=256, description="Containers one image update scan checks at once."
    )
    updates_poll_seconds: float = Field(
        5.0, gt=0, le=600, description="How often each hub looks for queued image update scans, in seconds."
    )

    # Endpoints (watchkeep/endpoints)
    endpoint_poll_seconds: float = Field(
        0.5, gt=0, le=60, description="How often each hub looks for endpoint checks that are due, in seconds."
    )
    endpoint_max_concurrency: int = Field(
        200, ge=1, le=10_000, description="Most endpoint checks one hub runs at the same time."
    )
    endpoint_result_retention_hours: int = Field(
        48, ge=1, description="Hours of raw endpoint check results kept (hourly rollups keep the history)."
    )
    endpoint_rollup_retention_days: int = Field(
        400, ge=1, description="Days of hourly endpoint rollups (uptime and response times) kept."
    )
    endpoint_dns_nameserver: str = Field(
        "",
        description="Nameserver (address or address:port) that DNS endpoint checks ask when the endpoint "
        "names none; empty: the system's resolvers.",
    )

    # Agents (watchkeep/agents)
    agent_push_interval_seconds: int = Field(
        15, ge=1, le=86_400, description="Push interval given to new agents, in seconds."
    )
    agent_delayed_after_intervals: float = Field(
        2, gt=0, description="Missed push intervals after which an agent is delayed."
    )
    agent_offline_after_intervals: float = Field(
        4, gt=0, description="Missed push intervals after which an agent is offline."
    )
    agent_status_interval_seconds: float = Field(
        5, gt=0, description="How often the agent status loop looks for delayed and offline agents, in seconds."
    )
    agent_token_ttl_seconds: int = Field(
        3600, ge=60, description="Lifetime of the signed token an agent gets from /api/v1/agents/register, in seconds."
    )
    agent_token_secret: SecretStr | None = Field(
        None,
        description="Key that signs agent tokens; generated once and kept in the database if unset.",
    )
    agent_rate_limit_per_minute: int = Field(
        600, ge=0, description="Payloads per minute accepted from one agent (0 turns the limit off)."
    )
    agent_max_clock_skew_seconds: int = Field(
        300, ge=0, description="Payload timestamps further in the future than this are clamped to now."
    )
    metrics_raw_retention_hours: int = Field(
        48, ge=1, description="Hours of raw metric samples kept (older ones live on in the rollups)."
    )
    metrics_minute_rollup_retention_days: int = Field(14, ge=1, description="Days of 1-minute metric rollups kept.")
    metrics_hour_rollup_retention_days: int = Field(365, ge=1, description="Days of 1-hour metric rollups kept.")

    # Alerts, notifications and webhooks (watchkeep/alerts, watchkeep/notify, watchkeep/webhooks)
    allow_private_targets: bool = Field(
        False,
        description=(
            "Allow notification channels and webhooks to target loopback, link-local and private "
            "addresses (checked on create, on update and at delivery after DNS resolution)."
        ),
    )
    allowed_target_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Internal networks that channels and webhooks may reach even when private targets are "
            "refused (comma-separated addresses or CIDR networks, e.g. an internal ntfy server)."
        ),
    )
    smtp_host: str = Field("localhost", description="Default SMTP server for email channels.")
    smtp_port: int = Field(587, ge=1, le=65535, description="Default SMTP port for email channels.")
    smtp_username: str = Field("", description="Default SMTP user name for email channels (empty: no login).")
    smtp_password: SecretStr | None = Field(None, description="Default SMTP password for email channels.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="Default SMTP transport security for email channels: starttls, tls or none."
    )
    smtp_from: str = Field("watchkeep@localhost", description="Default sender address of email channels.")
    smtp_ca_file: Path | None = Field(
        None, description="Extra CA certificates (PEM) trusted when connecting to SMTP servers."
    )
    notify_timeout_seconds: float = Field(
        10.0, gt=0, description="Time allowed for one outbound notification or webhook request, in seconds."
    )
    outbox_poll_seconds: float = Field(
        1.0, gt=0, description="How often the delivery loop looks for due notifications, in seconds."
    )
    outbox_max_attempts: int = Field(
        10, ge=1, description="Delivery attempts of one notification before it is given up as failed."
    )
    outbox_backoff_seconds: int = Field(
        30, ge=1, description="Wait before the first retry of a failed delivery; doubled on each further retry."
    )
    outbox_backoff_max_seconds: int = Field(3600, ge=1, description="Longest wait between two delivery attempts.")
    outbox_lease_seconds: int = Field(
        120, ge=5, description="How long a replica owns a claimed delivery before another may take it over."
    )
    digest_threshold: int = Field(
        5, ge=2, description="Alert messages due at once for one channel from which they go out as one digest."
    )
    digest_window_seconds: int = Field(
        60, ge=1, description="Window in which that many sent messages mark a channel as flooded, in seconds."
    )
    webhook_max_failures: int = Field(
        10, ge=1, description="Consecutive failed deliveries after which a webhook subscription is disabled."
    )
    alerts_evaluate_seconds: float = Field(
        15.0, gt=0, description="How often silences, snoozes, maintenance windows and repeats are re-evaluated."
    )

    # Event log, consumers and streams (watchkeep/core/events)
    event_poll_seconds: float = Field(
        2.0,
        gt=0,
        le=60,
        description="How often event consumers and streams read the event log when nothing woke them, in seconds.",
    )
    event_consumer_lease_seconds: float = Field(
        10.0,
        gt=0,
        description="How long a replica holds an event consumer without renewing it (a dead replica's consumers "
        "move to another after this), in seconds; keep it above the poll interval.",
    )
    event_log_retention_days: int = Field(7, ge=1, description="Days of events kept in the event log.")
    event_log_max_events: int = Field(
        100_000, ge=100, description="Most events kept in the event log (the newest); older ones are deleted."
    )
    sse_keepalive_seconds: float = Field(
        15.0, gt=0, description="Quiet time after which an event stream sends a keep-alive comment, in seconds."
    )
    sse_client_queue_size: int = Field(
        1000, ge=10, description="Frames queued for one event stream client before it is closed as too slow."
    )

    # Backups (watchkeep/core/backup.py)
    backup_interval_hours: float = Field(
        0, ge=0, description="Hours between scheduled backups into the backup directory; 0 turns them off."
    )
    backup_keep: int = Field(7, ge=1, description="Scheduled backups kept; older ones are deleted.")
    backup_dir: Path | None = Field(None, description="Where scheduled backups go (default: backups/ in the data dir).")

    # Prometheus metrics (watchkeep/core/metrics)
    metrics_public: bool = Field(
        False, description="Serve /metrics to anyone; otherwise it takes an API key with the metrics scope."
    )

    # Self-monitoring (watchkeep/agents/selfmonitor.py)
    self_monitor: bool = Field(
        True, description="Run the agent's collectors in the hub for its own host (false turns it off)."
    )

    # Local runtime and containers (watchkeep/runtime, watchkeep/containers)
    docker_stats_interval: float = Field(
        10, gt=0, description="How often the local Docker engine's containers are sampled (stats), in seconds."
    )
    container_restart_threshold: int = Field(
        3,
        ge=1,
        description=(
            "Restarts within the window that make a restart loop "
            "(the label watchkeep.alert.restart_threshold overrides it per container)."
        ),
    )
    container_restart_window_seconds: int = Field(
        600, ge=1, description="The sliding window in which restarts are counted for a restart loop, in seconds."
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("registry_insecure_hosts", mode="before")
    @classmethod
    def _split_insecure_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @field_validator("registry_auth")
    @classmethod
    def _check_registry_auth(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for host, entry in value.items():
            unknown = set(entry) - {"username", "password", "token"}
            if unknown:
                raise ValueError(f"{host}: unknown key {sorted(unknown)[0]!r}")
            if not entry.get("token") and not (entry.get("username") and "password" in entry):
                raise ValueError(f"{host}: give username and password, or token")
        return value

    @field_validator("updates_scan_cron")
    @classmethod
    def _check_scan_cron(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            return value
        if len(value.split()) != 5:
            raise ValueError("expected 5 fields (minute hour day month weekday)")
        try:
            next(CronSim(value, datetime.now(UTC)))
        except Exception as exc:  # cronsim reports some impossible dates as other errors
            raise ValueError(f"not a cron expression: {exc}") from exc
        return value

    @field_validator("allowed_target_networks", mode="before")
    @classmethod
    def _split_target_networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for item in value:
                ipaddress.ip_network(str(item).strip(), strict=False)
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:", "postgresql:", "postgresql+asyncpg:", "postgres:")):
            raise ValueError("database_url must start with sqlite:/// or postgresql://")
        return value

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'watchkeep.db'}"
        if not self.base_url:
            self.base_url = f"http://{self.host}:{self.port}"
        self.base_url = self.base_url.rstrip("/")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from (highest first) `overrides`, the environment, `config_file`, defaults."""
    token = _config_file.set(config_file)
    try:
        given = {k: v for k, v in overrides.items() if v is not None}
        return Settings(**given)
    finally:
        _config_file.reset(token)
