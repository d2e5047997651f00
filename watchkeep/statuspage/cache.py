"""This hub process's copy of the public page's view: built at most every few seconds, and
dropped as soon as a status-page event (of any replica) or a change made here says it is
stale. A hint only: the view is rebuilt from the database."""

from __future__ import annotations

import time
from typing import Any

from watchkeep.core.events import Event

TTL_SECONDS = 5.0


class PublicCache:
    def __init__(self) -> None:
        self._view: Any = None
        self._built = 0.0

    def get(self) -> Any:
        if self._view is not None and time.monotonic() - self._built < TTL_SECONDS:
            return self._view
        return None

    def put(self, view: Any) -> None:
        self._view = view
        self._built = time.monotonic()

    def clear(self) -> None:
        self._view = None

    def notice(self, event: Event) -> None:
        """A bus listener."""
        if event.type.startswith("status."):
            self.clear()
