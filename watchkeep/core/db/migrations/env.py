"""Alembic environment: runs on the connection `watchkeep.core.db.migrate` hands over."""

from alembic import context

from watchkeep.core.db.metadata import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `watchkeep migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    transaction_per_migration=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
