"""Permissions of the hub's own files: the data dir is 0700, the SQLite database (with its
-wal and -shm files) and the key file 0600, whatever the umask. Files found wider than that
are left as the operator made them, with one warning each at start."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("watchkeep.files")

_warned: set[tuple[str, int]] = set()


def warn_if_wider(path: Path, allowed: int) -> None:
    """Log once per path and mode when `path` grants more than `allowed`."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & ~allowed and (str(path), mode) not in _warned:
        _warned.add((str(path), mode))
        log.warning(
            "%s has mode %s, wider than %s: other local users may read the hub's secrets (chmod %s %s)",
            path,
            oct(mode),
            oct(allowed),
            oct(allowed)[2:],
            path,
        )


def ensure_private_dir(path: Path, *, check_existing: bool = True) -> None:
    """Create `path` (and missing parents) as 0700; an existing one is only checked."""
    if path.is_dir():
        if check_existing:
            warn_if_wider(path, 0o700)
        return
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode is narrowed by the umask, never widened; chmod pins it.
    os.chmod(path, 0o700)


def ensure_private_database(database: Path) -> None:
    """Create the SQLite file 0600 before SQLite does: SQLite gives its -wal and -shm files the
    database file's mode, so all three stay private."""
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            warn_if_wider(path, 0o600)
        return
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
