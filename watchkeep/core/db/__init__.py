"""Storage: the engine, the single writer, migrations and the shared table metadata."""

from watchkeep.core.db.metadata import metadata
from watchkeep.core.db.store import Store, WriteUnit

__all__ = ["Store", "WriteUnit", "metadata"]
