"""What each section of the file provides: its stored items in the file's form, the check of
an item (the API's own models and rules), and the writes, each inside the caller's unit."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.events import Event
from watchkeep.core.hub import Hub

Item = dict[str, Any]
"""One item as the file holds it: the API body's camelCase fields, secrets in clear."""


@dataclass(frozen=True)
class Stored:
    id: str
    item: Item


@dataclass(frozen=True)
class Secret:
    """A value written as `${variable}`: at `path` inside the item."""

    path: tuple[str, ...]
    variable: str


class Section(ABC):
    key: ClassVar[str]
    # Whether import makes an object the file names and the hub lacks (else: skipped with a
    # warning), and whether --prune deletes one the file does not name.
    creates: ClassVar[bool] = True
    # The field import matches items by: unique within the section.
    name_field: ClassVar[str] = "name"
    prunes: ClassVar[bool] = True
    # Who import says made an object, where a table keeps it.
    author: ClassVar[str] = "config import"

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def name_of(self, item: Item) -> str:
        return str(item[self.name_field])

    @abstractmethod
    async def stored(self, conn: AsyncConnection) -> list[Stored]:
        """The objects this section manages, each in the file's form."""
        ...

    @abstractmethod
    async def checked(self, raw: Item) -> Item:
        """`raw` validated as the API would, in the file's canonical form. Raises
        WatchkeepError or pydantic's ValidationError naming the field."""
        ...

    def merged(self, stored: Item, item: Item) -> Item:
        """`item` with what the file may leave out (a generated secret) taken from `stored`."""
        return item

    def secrets(self, item: Item) -> list[Secret]:
        return []

    async def create(self, conn: AsyncConnection, item: Item) -> list[Event]:
        """Make the object; only called where `creates` (the others skip what the hub lacks)."""
        raise RuntimeError(f"import does not create {self.key}")

    @abstractmethod
    async def update(self, conn: AsyncConnection, stored: Stored, item: Item) -> list[Event]: ...

    async def delete(self, conn: AsyncConnection, stored: Stored) -> list[Event]:
        """Remove the object; only called where `prunes`."""
        raise RuntimeError(f"import does not delete {self.key}")

    async def committed(self) -> None:  # noqa: B027 (a hook most sections leave as it is)
        """After the unit committed, when this section changed something."""
