"""Roles, scopes and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"
    AGENTS_REGISTER = "agents:register"
    METRICS = "metrics"


# The role a user needs for what a scope allows.
ROLE_FOR_SCOPE = {
    Scope.READ: Role.VIEWER,
    Scope.WRITE: Role.EDITOR,
    Scope.ADMIN: Role.ADMIN,
    Scope.AGENTS_REGISTER: Role.ADMIN,
    Scope.METRICS: Role.VIEWER,
}


def effective_scopes(granted: frozenset[Scope]) -> frozenset[Scope]:
    """`admin` includes every scope; `write` includes `read`."""
    scopes = set(granted)
    if Scope.ADMIN in scopes:
        scopes.update(Scope)
    if Scope.WRITE in scopes:
        scopes.add(Scope.READ)
    return frozenset(scopes)


@dataclass(frozen=True)
class Principal:
    kind: Literal["session", "api_key"]
    user_id: str
    username: str
    role: Role
    scopes: frozenset[Scope]
    key_id: str | None = None
    csrf_token: str | None = None

    @property
    def subject(self) -> str:
        """Stable name of the caller for rate limits and audit fields."""
        return f"key:{self.key_id}" if self.key_id else f"user:{self.user_id}"
