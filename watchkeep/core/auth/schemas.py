"""API models for login, users and keys."""

from __future__ import annotations

import json
from typing import ClassVar

from pydantic import Field
from sqlalchemy.engine import RowMapping

from watchkeep.core.clock import rfc3339
from watchkeep.core.schemas import ApiModel, WriteModel


class LoginRequest(ApiModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(ApiModel):
    id: str
    username: str
    role: str
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, row: RowMapping) -> UserOut:
        return cls(
            id=row["id"],
            username=row["username"],
            role=row["role"],
            created_at=rfc3339(row["created_at"]),
            updated_at=rfc3339(row["updated_at"]),
        )


class LoginOut(UserOut):
    csrf_token: str


class MeOut(UserOut):
    auth: str
    scopes: list[str]
    key_id: str | None = None


class UserCreate(WriteModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    role: str = "viewer"


class UserUpdate(WriteModel):
    readonly_fields: ClassVar[frozenset[str]] = frozenset({"id", "username", "createdAt", "updatedAt"})
    role: str | None = None
    password: str | None = Field(None, max_length=1024)


class KeyCreate(WriteModel):
    name: str = Field(max_length=100)
    scopes: list[str]


class KeyOut(ApiModel):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    user_id: str
    username: str
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None

    @classmethod
    def of(cls, row: RowMapping) -> KeyOut:
        return cls(
            id=row["id"],
            name=row["name"],
            prefix=row["prefix"],
            scopes=json.loads(row["scopes"]),
            user_id=row["user_id"],
            username=row["username"],
            created_at=rfc3339(row["created_at"]),
            last_used_at=rfc3339(row["last_used_at"]),
            revoked_at=rfc3339(row["revoked_at"]),
        )


class KeyCreated(ApiModel):
    """The only time the key itself is shown."""

    id: str
    name: str
    scopes: list[str]
    key: str
    created_at: str | None
