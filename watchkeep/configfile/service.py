"""Export the hub's configuration as YAML, and import a file all-or-nothing."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.configfile.document import VERSION, dump
from watchkeep.configfile.plan import Change, by_name, changes, wanted
from watchkeep.configfile.section import Item, Section
from watchkeep.configfile.sections import sections
from watchkeep.core.events import Event
from watchkeep.core.events.log import append
from watchkeep.core.hub import Hub


@dataclass(frozen=True)
class Exported:
    text: str
    # The variables the file references, with the values import needs them to hold.
    variables: dict[str, str] = field(default_factory=dict)


def _with_references(section: Section, item: Item, variables: dict[str, str]) -> Item:
    shown = copy.deepcopy(item)
    for secret in section.secrets(item):
        *parents, last = secret.path
        holder = shown
        for part in parents:
            holder = holder[part]
        variables[secret.variable] = holder[last]
        holder[last] = "${" + secret.variable + "}"
    return shown


async def export(hub: Hub) -> Exported:
    data: dict[str, object] = {"version": VERSION}
    variables: dict[str, str] = {}
    async with hub.store.read() as conn:
        for section in sections(hub):
            named = by_name(section, await section.stored(conn))
            data[section.key] = [_with_references(section, named[name].item, variables) for name in sorted(named)]
    return Exported(dump(data), variables)


async def import_file(
    hub: Hub, text: str, environ: Mapping[str, str], *, prune: bool = False, dry_run: bool = False
) -> list[Change]:
    """Check the whole file, then apply every change in one write unit (nothing on
    `dry_run`). Returns the changes: by section in file order, then by name."""
    want = await wanted(hub, text, environ)
    if dry_run:
        async with hub.store.read() as conn:
            return [
                change
                for entry in want
                for change, _, _ in changes(entry, by_name(entry.section, await entry.section.stored(conn)), prune)
            ]

    async def unit(conn: AsyncConnection) -> tuple[list[Change], list[Event]]:
        done: list[Change] = []
        events: list[Event] = []
        # Compared again inside the unit, so what is applied is what the hub holds now.
        for entry in want:
            section = entry.section
            for change, stored, item in changes(entry, by_name(section, await section.stored(conn)), prune):
                if change.action == "create":
                    assert item is not None
                    events += await section.create(conn, item)
                elif change.action == "update":
                    assert stored is not None and item is not None
                    events += await section.update(conn, stored, item)
                elif change.action == "delete":
                    assert stored is not None
                    events += await section.delete(conn, stored)
                done.append(change)
        return done, (await append(conn, events) if events else [])

    done, logged = await hub.store.write(unit)
    await hub.bus.publish(*logged)
    touched = {change.section for change in done if change.writes}
    for entry in want:
        if entry.section.key in touched:
            await entry.section.committed()
    return done
