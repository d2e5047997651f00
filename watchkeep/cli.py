"""The `watchkeep` command."""

from __future__ import annotations

import asyncio
import getpass
import inspect
import typing
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from watchkeep import __version__
from watchkeep.core.clock import rfc3339
from watchkeep.core.config import Settings, load_settings

# The hub's modules are imported inside the commands that need them, so `watchkeep agent`
# loads only the agent, the wire protocol and the settings schema.
if TYPE_CHECKING:
    from watchkeep.core.auth.service import AuthService
    from watchkeep.core.hub import Hub

app = typer.Typer(help="watchkeep: a self-hosted monitoring hub.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
key_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="key")
console = Console()

T = TypeVar("T")


def _help(name: str) -> str:
    """An option's help, from the setting's own description."""
    field = Settings.model_fields[name]
    default = "" if field.default in (None, "") or field.is_required() else f", default {field.default}"
    if field.default_factory is not None:
        default = ""
    return f"{field.description} (env WATCHKEEP_{name.upper()}{default})"


ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML settings file.", exists=True, dir_okay=False)]
DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database-url", help="sqlite:///path or postgresql://... (env WATCHKEEP_DATABASE_URL)"),
]
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help=_help("data_dir"))]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"watchkeep {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    pass


def _settings(config: Path | None, **overrides: Any) -> Settings:
    try:
        return load_settings(config, **overrides)
    except Exception as exc:
        console.print(f"[red]Invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None


def _option_type(annotation: Any) -> type:
    """What a setting is typed as on the command line: flags for booleans, numbers and paths
    as such, text for the rest (secrets, choices and lists are checked by Settings)."""
    for kind in (bool, int, float, Path):
        if annotation is kind or kind in typing.get_args(annotation):
            return kind
    return str


def _setting_options() -> list[inspect.Parameter]:
    """One `--name` option per setting, from the Settings model itself."""
    parameters = []
    for name, field in Settings.model_fields.items():
        kind = _option_type(field.annotation)
        flag = "--" + name.replace("_", "-")
        declared = f"{flag}/--no-{flag[2:]}" if kind is bool else flag
        option = typer.Option(declared, help=_help(name))
        annotation = Annotated[Optional[kind], option]  # type: ignore[valid-type]  # noqa: UP045  (typer reads it at run time)
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation))
    return parameters


def serve(config: Path | None = None, **options: Any) -> None:
    """Run the hub: API, public pages and background monitors."""
    import uvicorn

    from watchkeep.app import create_app
    from watchkeep.core.logging import configure_logging

    settings = _settings(config, **options)
    configure_logging(settings.log_format, settings.log_level)

    app = create_app(settings)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # Open event streams would hold the shutdown for its whole grace period.
            app.state.event_streams.end_all_soon()
            super().handle_exit(sig, frame)

    server = Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            # The app reads X-Forwarded-For itself, from WATCHKEEP_TRUSTED_PROXIES only.
            proxy_headers=False,
            timeout_graceful_shutdown=settings.shutdown_grace_seconds,
            server_header=False,
        )
    )
    server.run()


# Every setting is an option of `serve`: the signature typer reads is made from Settings.
_serve_parameters = [
    inspect.Parameter("config", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ConfigOpt),
    *_setting_options(),
]
serve.__signature__ = inspect.Signature(_serve_parameters)  # type: ignore[attr-defined]
serve.__annotations__ = {p.name: p.annotation for p in _serve_parameters}
app.command()(serve)


async def _with_hub(settings: Settings, action: Callable[[Hub], Awaitable[T]]) -> T:
    from watchkeep.core.clock import SystemClock
    from watchkeep.core.db import Store
    from watchkeep.core.db.migrate import migrate
    from watchkeep.core.hub import Hub

    store = Store(settings.database_url)
    await store.start()
    try:
        await migrate(store, lock_timeout=settings.migrate_lock_timeout_seconds)
        return await action(Hub(settings=settings, store=store, clock=SystemClock()))
    finally:
        await store.close()


def _run(settings: Settings, action: Callable[[Hub], Awaitable[T]]) -> T:
    from watchkeep.core.errors import WatchkeepError
    from watchkeep.core.logging import configure_logging

    configure_logging(settings.log_format, "warning")
    try:
        return asyncio.run(_with_hub(settings, action))
    except WatchkeepError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None


@app.command("migrate")
def migrate_command(config: ConfigOpt = None, database_url: DatabaseOpt = None, data_dir: DataDirOpt = None) -> None:
    """Apply database migrations and exit."""
    from watchkeep.core.db import Store
    from watchkeep.core.db.migrate import migrate
    from watchkeep.core.logging import configure_logging

    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    configure_logging(settings.log_format, "info")

    async def run() -> bool:
        store = Store(settings.database_url)
        await store.start()
        try:
            return await migrate(store, lock_timeout=settings.migrate_lock_timeout_seconds)
        finally:
            await store.close()

    applied = asyncio.run(run())
    console.print("Schema migrated." if applied else "Schema already current.")


@app.command("backup")
def backup_command(
    path: Annotated[Path, typer.Argument(help="The file to write the backup to.")],
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Back the database up to PATH while the hub runs (SQLite: its online backup; PostgreSQL: pg_dump)."""
    from watchkeep.core.backup import BackupError, backup

    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    try:
        written = backup(settings, path)
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Backed up to {written} ({written.stat().st_size:,} bytes).")


@app.command("restore")
def restore_command(
    path: Annotated[Path, typer.Argument(help="A backup written by `watchkeep backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the database without asking.")] = False,
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Replace the database with a backup. Refuses while a hub or another command uses it."""
    from watchkeep.core.backup import BackupError, restore

    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    if not yes and not typer.confirm(f"Replace the database with {path}? Everything written since is lost."):
        raise typer.Exit(1)
    try:
        restore(settings, path)
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Restored from {path}. Start the hub: it applies any newer migrations.")


@app.command("export")
def export_command(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")] = None,
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Write the hub's configuration as YAML (docs/configuration-as-code.md); secrets as ${VAR} references."""
    from watchkeep.configfile.document import ConfigFileError
    from watchkeep.configfile.service import export
    from watchkeep.core.crypto import SecretKeyError

    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    try:
        exported = _run(settings, export)
    except (ConfigFileError, SecretKeyError) as exc:
        Console(stderr=True).print(f"[red]{exc}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if output is None:
        typer.echo(exported.text, nl=False)
    else:
        output.write_text(exported.text, encoding="utf-8")
    if exported.variables:
        # On stderr, so `watchkeep export > file` keeps the file clean; names only, never values.
        notice = Console(stderr=True)
        notice.print("Secrets are written as references; set these variables before importing:", highlight=False)
        for name in sorted(exported.variables):
            notice.print(f"  {name}", highlight=False)


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="A YAML file as `watchkeep export` writes it.", dir_okay=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change and write nothing.")] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete objects of the file's sections that the file does not name.")
    ] = False,
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Apply a configuration file, all or nothing; objects are matched by name."""
    import os

    from watchkeep.configfile.document import ConfigFileError
    from watchkeep.configfile.service import import_file
    from watchkeep.core.crypto import SecretKeyError

    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        console.print(f"[red]{path}: {exc}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    try:
        done = _run(settings, lambda hub: import_file(hub, text, os.environ, prune=prune, dry_run=dry_run))
    except SecretKeyError as exc:
        console.print(f"[red]{exc}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except ConfigFileError as exc:
        console.print(f"[red]{path}: {exc}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    for change in done:
        console.print(change.line(), highlight=False, markup=False, soft_wrap=True)
    writes = sum(1 for change in done if change.writes)
    if not writes:
        console.print("No changes.")
    elif dry_run:
        console.print(f"Dry run: {writes} change(s), nothing written.")
    else:
        console.print(f"Applied {writes} change(s).")


def _auth(hub: Hub) -> AuthService:
    from watchkeep.core.auth.service import AuthService

    return AuthService(hub)


def _ask_password(confirm: bool = True) -> str:
    password = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Repeat password: ") != password:
        console.print("[red]Passwords differ.[/red]")
        raise typer.Exit(1)
    return password


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[str, typer.Option(help="admin, editor or viewer.")] = "viewer",
    password: Annotated[str | None, typer.Option(help="Password; asked for when omitted.")] = None,
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Create a user."""
    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    secret = password or _ask_password()
    row = _run(settings, lambda hub: _auth(hub).create_user(username, secret, role))
    console.print(f"Created user {row['username']} ({row['role']}), id {row['id']}")


@user_app.command("list")
def user_list(config: ConfigOpt = None, database_url: DatabaseOpt = None, data_dir: DataDirOpt = None) -> None:
    """List users."""
    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    rows = _run(settings, lambda hub: _auth(hub).list_users())
    table = Table("id", "username", "role", "created")
    for row in rows:
        table.add_row(row["id"], row["username"], row["role"], rfc3339(row["created_at"]))
    console.print(table)


@user_app.command("passwd")
def user_passwd(
    username: str,
    password: Annotated[str | None, typer.Option(help="New password; asked for when omitted.")] = None,
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Set a user's password (ends their sessions)."""
    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    secret = password or _ask_password()

    async def action(hub: Hub) -> None:
        service = _auth(hub)
        user = await service.user_by_username(username)
        await service.update_user(user["id"], password=secret)

    _run(settings, action)
    console.print(f"Password of {username} changed.")


@user_app.command("delete")
def user_delete(
    username: str,
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Delete a user and their API keys."""
    settings = _settings(config, database_url=database_url, data_dir=data_dir)

    async def action(hub: Hub) -> None:
        service = _auth(hub)
        user = await service.user_by_username(username)
        await service.delete_user(user["id"])

    _run(settings, action)
    console.print(f"Deleted user {username}.")


@key_app.command("create")
def key_create(
    name: Annotated[str, typer.Option(help="A name saying what the key is for.")],
    scopes: Annotated[
        str, typer.Option(help="Comma-separated: read, write, admin, agents:register, metrics.")
    ] = "read",
    user: Annotated[str, typer.Option(help="The user the key acts as.")] = "admin",
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Create an API key. The key is printed once, alone on the last line."""
    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    scope_list = [s.strip() for s in scopes.split(",") if s.strip()]

    async def action(hub: Hub) -> str:
        service = _auth(hub)
        owner = await service.user_by_username(user)
        return (await service.create_key(owner["id"], name, scope_list)).key

    key = _run(settings, action)
    console.print(f"Created API key {name!r} for {user} with scopes {', '.join(scope_list)}. It is shown only now:")
    print(key)


@key_app.command("list")
def key_list(config: ConfigOpt = None, database_url: DatabaseOpt = None, data_dir: DataDirOpt = None) -> None:
    """List API keys (never the keys themselves)."""
    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    rows = _run(settings, lambda hub: _auth(hub).list_keys())
    table = Table("id", "name", "user", "scopes", "prefix", "last used", "revoked")
    for row in rows:
        table.add_row(
            row["id"],
            row["name"],
            row["username"],
            row["scopes"],
            row["prefix"] + "…",
            rfc3339(row["last_used_at"]) or "never",
            rfc3339(row["revoked_at"]) or "",
        )
    console.print(table)


@key_app.command("revoke")
def key_revoke(
    key_id: str,
    config: ConfigOpt = None,
    database_url: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Revoke an API key by id."""
    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    _run(settings, lambda hub: _auth(hub).revoke_key(key_id))
    console.print(f"Revoked {key_id}.")


# --- watchkeep agent -------------------------------------------------------------------------


@app.command("agent")
def agent_command(
    config: ConfigOpt = None,
    hub: Annotated[str | None, typer.Option("--hub", help="Hub URL (env WATCHKEEP_HUB).")] = None,
    token: Annotated[str | None, typer.Option("--token", help="Agent token (env WATCHKEEP_AGENT_TOKEN).")] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key to register with (env WATCHKEEP_API_KEY).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Agent name when registering (env WATCHKEEP_NAME).")] = None,
    interval: Annotated[
        float | None,
        typer.Option(help="Seconds between samples; wins over the hub's push interval (env WATCHKEEP_INTERVAL)."),
    ] = None,
    spool_dir: Annotated[Path | None, typer.Option(help="Spool directory (env WATCHKEEP_SPOOL_DIR).")] = None,
    spool_max_bytes: Annotated[
        int | None, typer.Option(help="Spool size bound (env WATCHKEEP_SPOOL_MAX_BYTES).")
    ] = None,
    spool_max_age_seconds: Annotated[
        int | None, typer.Option(help="Spool age bound (env WATCHKEEP_SPOOL_MAX_AGE_SECONDS).")
    ] = None,
    host_root: Annotated[
        Path | None, typer.Option(help="Host filesystem mount, e.g. /host (env WATCHKEEP_HOST_ROOT).")
    ] = None,
    docker_host: Annotated[
        str | None, typer.Option(help="Docker Engine API address (env WATCHKEEP_DOCKER_HOST, DOCKER_HOST).")
    ] = None,
    log_level: Annotated[str | None, typer.Option(help="debug, info, warning, error.")] = None,
    once: Annotated[bool, typer.Option("--once", help="Take one sample and exit.")] = False,
    print_payload: Annotated[bool, typer.Option("--print", help="With --once: print the payload as JSON.")] = False,
) -> None:
    """Run the agent: collect host and container metrics and run local checks, push to the hub."""
    import asyncio
    import logging

    from watchkeep.agent.config import AgentConfigError, load_agent_settings
    from watchkeep.agent.main import print_once, run_agent

    overrides = {
        "hub": hub,
        "agent_token": token,
        "api_key": api_key,
        "name": name,
        "interval": interval,
        "spool_dir": spool_dir,
        "spool_max_bytes": spool_max_bytes,
        "spool_max_age_seconds": spool_max_age_seconds,
        "host_root": host_root,
        "docker_host": docker_host,
        "log_level": log_level,
    }
    try:
        settings = load_agent_settings(config, **overrides)
        if not once:
            settings.require_credentials()
    except AgentConfigError as exc:
        console.print(f"[red]Invalid agent settings:[/red] {exc}")
        raise typer.Exit(2) from None
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # One line per request to the hub is noise at the default level, and a URL may carry a
    # secret; the agent logs what matters.
    from watchkeep.core.logging import quiet_client_loggers

    quiet_client_loggers()
    if once and not print_payload:
        console.print("[red]--once needs --print[/red]")
        raise typer.Exit(2)
    asyncio.run(print_once(settings) if once else run_agent(settings))


def main() -> None:
    app()
