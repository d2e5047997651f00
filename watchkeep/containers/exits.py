"""How a container's exit counts: completed or failed.

The rule: exit code 0 is completed; 137 (SIGKILL) or 143 (SIGTERM) after a requested stop is
completed; anything else, and any exit the kernel's OOM killer caused, is failed.

For local containers the runtime watcher sees the engine's `kill` events, so "requested" is
known. An agent reports no events: for its containers a 137 or 143 that was not an OOM kill
counts as a requested stop (the signal most likely came from `docker stop` or `docker kill`);
the exit code is the agent's `exitCode` field, else the one in Docker's status text
("Exited (137) 5 seconds ago")."""

from __future__ import annotations

import re

COMPLETED = "completed"
FAILED = "failed"
EXITED_STATES = frozenset({"exited", "dead"})
STOP_SIGNAL_CODES = frozenset({137, 143})
_STATUS_CODE = re.compile(r"^\s*Exited\s*\((-?\d+)\)")


def exit_code_from_status(status: str | None) -> int | None:
    """The exit code in Docker's status text, e.g. 137 in "Exited (137) 5 seconds ago"."""
    match = _STATUS_CODE.match(status or "")
    return int(match.group(1)) if match else None


def outcome(exit_code: int | None, *, oom_killed: bool | None, requested_stop: bool | None) -> str:
    """completed | failed; `requested_stop` None means unknown (an agent's container)."""
    if oom_killed:
        return FAILED
    if exit_code == 0:
        return COMPLETED
    if exit_code in STOP_SIGNAL_CODES and requested_stop is not False:
        return COMPLETED
    return FAILED
