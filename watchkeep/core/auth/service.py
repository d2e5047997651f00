"""Users, API keys and sessions: the logic, no HTTP."""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass

from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.auth import repository as repo
from watchkeep.core.auth.model import (
    ROLE_FOR_SCOPE,
    ROLE_RANK,
    Principal,
    Role,
    Scope,
    effective_scopes,
)
from watchkeep.core.auth.passwords import hash_password, verify_password
from watchkeep.core.errors import (
    ErrorCode,
    WatchkeepError,
    conflict,
    not_found,
    rate_limited,
    unauthorized,
    validation_error,
)
from watchkeep.core.hub import Hub
from watchkeep.core.ids import new_id, new_secret, secret_hash

log = logging.getLogger("watchkeep.auth")

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 8
KEY_PREFIX = "wk"
# last_used_at is written at most this often per key, to keep reads from turning into writes.
TOUCH_INTERVAL_MS = 60_000


def check_username(username: str) -> None:
    if not USERNAME_RE.match(username):
        raise validation_error("username must be 1-64 letters, digits or . _ @ -", "username")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise validation_error(f"password must be at least {MIN_PASSWORD} characters", "password")


def parse_scopes(scopes: list[str]) -> list[Scope]:
    if not scopes:
        raise validation_error("scopes must name at least one scope", "scopes")
    parsed: list[Scope] = []
    for index, name in enumerate(scopes):
        try:
            scope = Scope(name)
        except ValueError:
            allowed = ", ".join(s.value for s in Scope)
            raise validation_error(f"unknown scope {name!r}; allowed: {allowed}", f"scopes[{index}]") from None
        if scope not in parsed:
            parsed.append(scope)
    return parsed


@dataclass(frozen=True)
class CreatedKey:
    row: RowMapping
    key: str


class AuthService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store
        self.clock = hub.clock

    # users

    async def create_user(self, username: str, password: str, role: str) -> RowMapping:
        check_username(username)
        check_password(password)
        try:
            parsed_role = Role(role)
        except ValueError:
            raise validation_error("role must be admin, editor or viewer", "role") from None
        password_hash = await hash_password(password)
        now = self.clock.now_ms()
        row = {
            "id": new_id("usr"),
            "username": username,
            "password_hash": password_hash,
            "role": parsed_role.value,
            "created_at": now,
            "updated_at": now,
        }

        async def unit(conn: AsyncConnection) -> RowMapping:
            if await repo.user_by_username(conn, username) is not None:
                raise conflict(f"user {username!r} already exists", "username")
            await repo.insert_user(conn, row)
            created = await repo.user_by_id(conn, str(row["id"]))
            assert created is not None
            return created

        try:
            return await self.store.write(unit)
        except IntegrityError:
            raise conflict(f"user {username!r} already exists", "username") from None

    async def list_users(self) -> list[RowMapping]:
        async with self.store.read() as conn:
            return await repo.list_users(conn)

    async def get_user(self, user_id: str) -> RowMapping:
        async with self.store.read() as conn:
            row = await repo.user_by_id(conn, user_id)
        if row is None:
            raise not_found("user", user_id)
        return row

    async def user_by_username(self, username: str) -> RowMapping:
        async with self.store.read() as conn:
            row = await repo.user_by_username(conn, username)
        if row is None:
            raise not_found("user", username)
        return row

    async def update_user(self, user_id: str, *, role: str | None = None, password: str | None = None) -> RowMapping:
        values: dict[str, object] = {"updated_at": self.clock.now_ms()}
        if role is not None:
            try:
                values["role"] = Role(role).value
            except ValueError:
                raise validation_error("role must be admin, editor or viewer", "role") from None
        if password is not None:
            check_password(password)
            values["password_hash"] = await hash_password(password)

        async def unit(conn: AsyncConnection) -> RowMapping:
            current = await repo.user_by_id(conn, user_id)
            if current is None:
                raise not_found("user", user_id)
            demoted = current["role"] == Role.ADMIN and values.get("role", Role.ADMIN) != Role.ADMIN
            if demoted and await repo.count_admins(conn) <= 1:
                raise conflict("the last admin cannot lose the admin role", "role")
            await repo.update_user(conn, user_id, values)
            if password is not None:
                # A new password ends every session opened with the old one.
                await repo.delete_user_sessions(conn, user_id)
            updated = await repo.user_by_id(conn, user_id)
            assert updated is not None
            return updated

        return await self.store.write(unit)

    async def delete_user(self, user_id: str) -> None:
        async def unit(conn: AsyncConnection) -> None:
            current = await repo.user_by_id(conn, user_id)
            if current is None:
                raise not_found("user", user_id)
            if current["role"] == Role.ADMIN and await repo.count_admins(conn) <= 1:
                raise conflict("the last admin cannot be deleted")
            await repo.delete_user(conn, user_id)

        await self.store.write(unit)

    async def ensure_admin(self) -> str | None:
        """On an empty database create user `admin`. Returns the generated password when one
        was generated (to print once), None otherwise. Safe on several replicas at once."""
        async with self.store.read() as conn:
            if await repo.count_users(conn) > 0:
                return None
        configured = self.hub.settings.admin_password
        password = configured.get_secret_value() if configured else secrets.token_urlsafe(18)
        try:
            await self.create_user("admin", password, Role.ADMIN.value)
        except WatchkeepError as exc:
            if exc.code is ErrorCode.CONFLICT:
                return None
            raise
        return None if configured else password

    # login sessions

    async def login(self, username: str, password: str, client: str) -> tuple[RowMapping, str, str]:
        """Check the password; returns (user, session id, csrf token)."""
        throttle_key = f"{username.lower()}|{client}"
        failures = self.hub.login_failures
        assert failures is not None
        wait = failures.attempt(throttle_key)
        if wait:
            raise rate_limited(wait, "Too many failed logins; try again later")
        async with self.store.read() as conn:
            user = await repo.user_by_username(conn, username)
        if not await verify_password(user["password_hash"] if user else None, password) or user is None:
            raise unauthorized("Wrong username or password")
        failures.clear(throttle_key)
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self.clock.now_ms()
        row = {
            "id_hash": secret_hash(session_id),
            "user_id": user["id"],
            "csrf_token": csrf,
            "created_at": now,
            "expires_at": now + self.hub.settings.session_ttl_seconds * 1000,
        }

        async def unit(conn: AsyncConnection) -> None:
            await repo.insert_session(conn, row)

        await self.store.write(unit)
        return user, session_id, csrf

    async def logout(self, session_id: str) -> None:
        async def unit(conn: AsyncConnection) -> None:
            await repo.delete_session(conn, secret_hash(session_id))

        await self.store.write(unit)

    async def principal_for_session(self, session_id: str) -> Principal:
        async with self.store.read() as conn:
            row = await repo.session_by_hash(conn, secret_hash(session_id))
        if row is None:
            raise unauthorized("Not logged in", hint="Log in again.")
        if row["expires_at"] <= self.clock.now_ms():
            raise unauthorized("Session expired", hint="Log in again.")
        role = Role(row["role"])
        scopes = frozenset(s for s, r in ROLE_FOR_SCOPE.items() if ROLE_RANK[role] >= ROLE_RANK[r])
        return Principal(
            kind="session",
            user_id=row["user_id"],
            username=row["username"],
            role=role,
            scopes=scopes,
            csrf_token=row["csrf_token"],
        )

    # API keys

    async def create_key(self, user_id: str, name: str, scopes: list[str]) -> CreatedKey:
        name = name.strip()
        if not name or len(name) > 100:
            raise validation_error("name must be 1-100 characters", "name")
        parsed = parse_scopes(scopes)
        key = new_secret(KEY_PREFIX)
        row = {
            "id": new_id("key"),
            "user_id": user_id,
            "name": name,
            "prefix": key[:10],
            "key_hash": secret_hash(key),
            "scopes": json.dumps([s.value for s in parsed]),
            "created_at": self.clock.now_ms(),
        }

        async def unit(conn: AsyncConnection) -> RowMapping:
            if await repo.user_by_id(conn, user_id) is None:
                raise not_found("user", user_id)
            await repo.insert_key(conn, row)
            created = await repo.key_by_id(conn, str(row["id"]))
            assert created is not None
            return created

        return CreatedKey(await self.store.write(unit), key)

    async def list_keys(self) -> list[RowMapping]:
        async with self.store.read() as conn:
            return await repo.list_keys(conn)

    async def revoke_key(self, key_id: str) -> None:
        now = self.clock.now_ms()

        async def unit(conn: AsyncConnection) -> None:
            if await repo.key_by_id(conn, key_id) is None:
                raise not_found("API key", key_id)
            await repo.revoke_key(conn, key_id, now)

        await self.store.write(unit)

    async def principal_for_key(self, key: str) -> Principal:
        async with self.store.read() as conn:
            row = await repo.active_key_by_hash(conn, secret_hash(key))
        if row is None:
            raise unauthorized("Invalid or revoked API key")
        now = self.clock.now_ms()
        if row["last_used_at"] is None or now - row["last_used_at"] > TOUCH_INTERVAL_MS:
            key_id = row["id"]

            async def touch(conn: AsyncConnection) -> None:
                await repo.touch_key(conn, key_id, now)

            await self.store.write(touch)
        return Principal(
            kind="api_key",
            user_id=row["user_id"],
            username=row["username"],
            role=Role(row["role"]),
            scopes=effective_scopes(frozenset(Scope(s) for s in json.loads(row["scopes"]))),
            key_id=row["id"],
        )

    async def delete_expired_sessions(self) -> int:
        now = self.clock.now_ms()

        async def unit(conn: AsyncConnection) -> int:
            return await repo.delete_sessions_expired(conn, now)

        return await self.store.write(unit)

    async def change_own_password(self, user_id: str, current: str, new: str) -> None:
        """A user sets a new password, proving the current one; every session of theirs ends."""
        user = await self.get_user(user_id)
        if not await verify_password(user["password_hash"], current):
            raise validation_error("the current password is wrong", "currentPassword")
        if new == current:
            raise validation_error("the new password is the current one", "newPassword")
        try:
            check_password(new)
        except WatchkeepError as exc:
            raise validation_error(exc.message, "newPassword") from None
        await self.update_user(user_id, password=new)

    async def anyone_logged_in(self) -> bool:
        """Whether a session exists: until then the login page reminds where the first
        admin password was printed."""
        async with self.store.read() as conn:
            return await repo.count_sessions(conn) > 0
