"""A certificate monitor's status and its raised alert conditions: pure functions of the
latest check's facts and an injected `now`.

Statuses: `pending` (never checked), `error` (no certificate could be read, or one was read
but its chain is invalid, it is not yet valid, or it does not match the name), `expired`,
`expiring` (days left at or below the highest threshold), `valid`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DAY_MS = 86_400_000
# Verify errors about time: the leaf's own window is judged here, with the injected clock.
TIME_REASONS = ("expired", "not_yet_valid")


@dataclass(frozen=True)
class Facts:
    checked_at: int | None
    error: str | None
    not_before: int | None
    not_after: int | None
    chain_reason: str | None
    hostname_match: bool | None

    @classmethod
    def of(cls, monitor: Any) -> Facts:
        """The facts stored on a monitor (a `repository.Monitor`)."""
        return cls(
            checked_at=monitor.last_checked_at,
            error=monitor.error,
            not_before=monitor.not_before,
            not_after=monitor.not_after,
            chain_reason=monitor.chain_reason,
            hostname_match=monitor.hostname_match,
        )

    @property
    def has_certificate(self) -> bool:
        return self.error is None and self.not_after is not None


def days_left(not_after: int | None, now_ms: int) -> int | None:
    """Whole days until expiry, rounded down (negative once expired)."""
    return None if not_after is None else (not_after - now_ms) // DAY_MS


def stage(days: int, thresholds: list[int]) -> int | None:
    """The lowest threshold `days` is at or below: the expiring alert's current step."""
    crossed = [t for t in thresholds if days <= t]
    return min(crossed) if crossed else None


def chain_problem(facts: Facts, now_ms: int) -> str | None:
    """Why the chain is not trusted, leaving out the leaf's own expiry (its own condition)."""
    if facts.not_before is not None and facts.not_before > now_ms:
        return "not_yet_valid"
    if facts.chain_reason == "unverified":
        return None  # the verifying handshake failed for another cause: nothing is known against the chain
    if facts.chain_reason in TIME_REASONS:
        leaf_out = facts.not_after is not None and facts.not_after <= now_ms
        # The leaf is in its window, so a time error is about another certificate of the chain.
        return None if leaf_out else facts.chain_reason
    return facts.chain_reason


def status(facts: Facts, now_ms: int, thresholds: list[int]) -> str:
    if facts.checked_at is None:
        return "pending"
    if not facts.has_certificate:
        return "error"
    assert facts.not_after is not None
    if facts.not_after <= now_ms:
        return "expired"
    if chain_problem(facts, now_ms) is not None or facts.hostname_match is False:
        return "error"
    left = days_left(facts.not_after, now_ms)
    if thresholds and left is not None and left <= max(thresholds):
        return "expiring"
    return "valid"


def conditions(facts: Facts, now_ms: int, thresholds: list[int]) -> dict[str, Any]:
    """The alert conditions a read certificate raises: condition → its stage or reason."""
    raised: dict[str, Any] = {}
    assert facts.not_after is not None
    if facts.not_after <= now_ms:
        raised["expired"] = True
    else:
        left = days_left(facts.not_after, now_ms)
        crossed = None if left is None else stage(left, thresholds)
        if crossed is not None:
            raised["expiring"] = crossed
    problem = chain_problem(facts, now_ms)
    if problem is not None:
        raised["chain_invalid"] = problem
    if facts.hostname_match is False:
        raised["hostname_mismatch"] = True
    return raised
