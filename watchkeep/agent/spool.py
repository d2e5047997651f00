"""The on-disk spool: every payload is written here before it is pushed and removed only once
the hub has acknowledged it, so a dead hub, a crash or SIGTERM loses nothing.

One file per payload, named `<sequence>-<created ms>-<Idempotency-Key>.json` and holding the
exact bytes sent (a replay under the same key must carry the same body). The spool is bounded
by total size and by age; when a bound is passed the oldest payloads go first and a persistent
counter of dropped payloads grows, which the agent reports to the hub."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("watchkeep.agent")

_STATE = "state.json"
_SUFFIX = ".json"


@dataclass(frozen=True)
class SpoolEntry:
    sequence: int
    created_ms: int
    key: str
    path: Path
    size: int

    def body(self) -> bytes:
        return self.path.read_bytes()


def _parse_name(path: Path) -> tuple[int, int, str] | None:
    if not path.name.endswith(_SUFFIX) or path.name == _STATE:
        return None
    parts = path.name[: -len(_SUFFIX)].split("-", 2)
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]), int(parts[1]), parts[2]


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


class Spool:
    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        max_age_seconds: float,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_age_seconds = max_age_seconds
        self._now = now
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob(".*.tmp"):
            stale.unlink(missing_ok=True)  # a write cut short by a crash
        self._entries: list[SpoolEntry] = []
        for path in directory.iterdir():
            parsed = _parse_name(path)
            if parsed is not None:
                self._entries.append(SpoolEntry(*parsed, path=path, size=path.stat().st_size))
        self._entries.sort(key=lambda e: e.sequence)
        self._next = self._entries[-1].sequence + 1 if self._entries else 1
        self.dropped = self._load_dropped()

    def _load_dropped(self) -> int:
        try:
            return int(json.loads((self.directory / _STATE).read_text())["dropped"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    def _save_dropped(self) -> None:
        _write_atomically(self.directory / _STATE, json.dumps({"dropped": self.dropped}).encode())

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return sum(e.size for e in self._entries)

    def append(self, body: bytes, key: str) -> SpoolEntry:
        created_ms = int(self._now() * 1000)
        path = self.directory / f"{self._next:016d}-{created_ms}-{key}{_SUFFIX}"
        _write_atomically(path, body)
        entry = SpoolEntry(self._next, created_ms, key, path, len(body))
        self._next += 1
        self._entries.append(entry)
        self.enforce_bounds()
        return entry

    def enforce_bounds(self) -> int:
        """Drop what is too old, then the oldest until the spool fits; returns how many went."""
        cutoff_ms = int((self._now() - self.max_age_seconds) * 1000)
        doomed = [e for e in self._entries if e.created_ms < cutoff_ms]
        total = self.size - sum(e.size for e in doomed)
        for entry in self._entries:
            if total <= self.max_bytes:
                break
            if entry not in doomed:
                doomed.append(entry)
                total -= entry.size
        if not doomed:
            return 0
        for entry in doomed:
            entry.path.unlink(missing_ok=True)
        gone = {e.sequence for e in doomed}
        self._entries = [e for e in self._entries if e.sequence not in gone]
        self.dropped += len(doomed)
        self._save_dropped()
        log.warning("spool over its bounds: dropped %d oldest payload(s), %d in all", len(doomed), self.dropped)
        return len(doomed)

    def oldest(self) -> SpoolEntry | None:
        return self._entries[0] if self._entries else None

    def remove(self, entry: SpoolEntry) -> None:
        entry.path.unlink(missing_ok=True)
        self._entries = [e for e in self._entries if e.sequence != entry.sequence]

    def entries(self) -> list[SpoolEntry]:
        return list(self._entries)
