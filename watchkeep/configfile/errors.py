"""An item's validation error as the place in the file it points at."""

from __future__ import annotations

import re

from pydantic import ValidationError

from watchkeep.configfile.document import Path
from watchkeep.core.errors import WatchkeepError

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def field_path(field: str | None) -> Path:
    """`("rules", 0, "matchers")` for `rules[0].matchers`."""
    if not field:
        return ()
    return tuple(int(index) if index else name for name, index in _PART.findall(field))


def located(exc: WatchkeepError | ValidationError) -> tuple[Path, str]:
    """Where inside the item the error is, and what it says."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        path = tuple(part for part in first["loc"] if part != "[key]")
        return path, first["msg"]
    path = field_path(exc.field)
    message = exc.message
    prefix = f"{exc.field}: "
    if exc.field and message.startswith(prefix):
        message = message[len(prefix) :]
    return path, message
