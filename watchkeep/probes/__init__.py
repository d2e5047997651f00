"""Probes: checks of a service from wherever they run. The hub's endpoint scheduler
(watchkeep/endpoints) and the agent (checks assigned to it) both run them, so a check gives
the same result from either place; like protocol/, this package imports nothing else of
watchkeep. One module per check type, each exposing `async def check(spec, context) -> Outcome`.

A check never raises for a failure of the thing it checks: a refused connection, a timeout,
a wrong status or a bad certificate are a `down` outcome with the reason in `error`."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Protocol, cast

from watchkeep.probes.base import CheckContext, CheckSpec, Outcome

__all__ = ["CHECK_TYPES", "CheckContext", "CheckSpec", "Outcome", "run_check"]

CHECK_TYPES = ("http", "tcp", "tls", "dns", "icmp")


class _CheckModule(Protocol):
    check: Callable[[CheckSpec, CheckContext], Awaitable[Outcome]]


def _module(kind: str) -> _CheckModule:
    return cast(_CheckModule, importlib.import_module(f"watchkeep.probes.{kind}"))


async def run_check(spec: CheckSpec, context: CheckContext) -> Outcome:
    """The outcome of one check; an unexpected error in our own code is a `down` outcome too,
    so one bad endpoint never stops the scheduler."""
    try:
        return await _module(spec.type).check(spec, context)
    except Exception as exc:
        return Outcome.down(f"check failed: {type(exc).__name__}: {exc}")
