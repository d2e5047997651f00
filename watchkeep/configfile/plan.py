"""What an import would change: every item checked first, then compared by name with what
the hub holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from watchkeep.configfile.document import ConfigFileError, Document, parse, resolved
from watchkeep.configfile.errors import located
from watchkeep.configfile.section import Item, Section, Stored
from watchkeep.configfile.sections import sections
from watchkeep.core.errors import WatchkeepError
from watchkeep.core.hub import Hub

Action = Literal["create", "update", "delete", "skip"]


@dataclass(frozen=True)
class Change:
    section: str
    name: str
    action: Action
    fields: tuple[str, ...] = ()

    def line(self) -> str:
        if self.action == "skip":
            return f"! skip {self.section} {self.name!r} (the hub has none by this name; nothing is written for it)"
        sign = {"create": "+", "update": "~", "delete": "-"}[self.action]
        changed = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{sign} {self.action} {self.section} {self.name!r}{changed}"

    @property
    def writes(self) -> bool:
        return self.action != "skip"


@dataclass(frozen=True)
class Wanted:
    """One section as the file gives it: its items by name."""

    section: Section
    items: dict[str, Item]


async def _checked(
    section: Section, raw: object, path: tuple[str | int, ...], document: Document, environ: Mapping[str, str]
) -> Item:
    if not isinstance(raw, dict):
        raise document.error(path, "an item must be a mapping of fields")
    try:
        item = await section.checked(resolved(raw, path, document, environ))
    except (WatchkeepError, ValidationError) as exc:
        where, message = located(exc)
        raise document.error((*path, *where), message) from None
    for key in raw:
        if key not in item:
            raise document.error((*path, key), f"unknown field; {section.key} items have {', '.join(item)}")
    return item


async def wanted(hub: Hub, text: str, environ: Mapping[str, str]) -> list[Wanted]:
    """Every section the file holds, each item checked as the API checks it. Raises
    ConfigFileError naming the line of the first problem."""
    document = parse(text)
    known = sections(hub)
    keys = {section.key for section in known}
    for key in document.data:
        if key != "version" and key not in keys:
            raise document.error((key,), f"unknown section; the sections are {', '.join(sorted(keys))}")
    found = []
    for section in known:
        if section.key not in document.data:
            continue
        raw_items = document.data[section.key] or []
        if not isinstance(raw_items, list):
            raise document.error((section.key,), "a section is a list of items")
        items: dict[str, Item] = {}
        for index, raw in enumerate(raw_items):
            item = await _checked(section, raw, (section.key, index), document, environ)
            name = section.name_of(item)
            if name in items:
                raise document.error((section.key, index, section.name_field), f"{name!r} is named twice")
            items[name] = item
        found.append(Wanted(section, items))
    return found


def by_name(section: Section, stored: list[Stored]) -> dict[str, Stored]:
    named: dict[str, Stored] = {}
    for entry in stored:
        name = section.name_of(entry.item)
        if name in named:
            raise ConfigFileError(
                f"{section.key}: the hub holds two with {section.name_field} {name!r}; change one "
                f"(import matches objects by {section.name_field})"
            )
        named[name] = entry
    return named


def changed_fields(before: Item, after: Item) -> tuple[str, ...]:
    fields = []
    for key in after:
        if before.get(key) == after[key]:
            continue
        old, new = before.get(key), after[key]
        if isinstance(old, dict) and isinstance(new, dict):
            fields += [f"{key}.{sub}" for sub in sorted(old.keys() | new.keys()) if old.get(sub) != new.get(sub)]
        else:
            fields.append(key)
    return tuple(fields)


def changes(want: Wanted, stored: dict[str, Stored], prune: bool) -> list[tuple[Change, Stored | None, Item | None]]:
    """What turns `stored` into `want`, in name order; deletes only when pruning."""
    found: list[tuple[Change, Stored | None, Item | None]] = []
    key = want.section.key
    pruning = prune and want.section.prunes
    for name in sorted(want.items.keys() | (stored.keys() if pruning else set())):
        item, current = want.items.get(name), stored.get(name)
        if item is None and current is not None:
            found.append((Change(key, name, "delete"), current, None))
        elif item is not None and current is None:
            found.append((Change(key, name, "create" if want.section.creates else "skip"), None, item))
        elif item is not None and current is not None:
            item = want.section.merged(current.item, item)
            fields = changed_fields(current.item, item)
            if fields:
                found.append((Change(key, name, "update", fields), current, item))
    return found
