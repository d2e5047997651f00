"""Stored responses of POST requests sent with an `Idempotency-Key`."""

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, String, Table

from watchkeep.core.db.metadata import metadata

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # sha256 of (principal, method, path, client key): one namespace per caller and route
    Column("key_hash", String(64), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("content_type", String(100)),
    Column("body", LargeBinary),
    Column("created_at", BigInteger, nullable=False, index=True),
    Column("completed_at", BigInteger),
)
