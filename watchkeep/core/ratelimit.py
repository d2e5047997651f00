"""Rate limits kept in this process: a token bucket per (limit, client) and a counter of
recent failures (login throttling). Limits are per hub replica."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from watchkeep.core.clock import Clock


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, clock: Clock, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._max_keys = max_keys

    def hit(self, limit: str, key: str, per_minute: int, burst: int | None = None) -> int:
        """Take one token. Returns 0 when allowed, else the seconds to wait."""
        if per_minute <= 0:
            return 0
        capacity = float(burst if burst is not None else max(1, per_minute))
        rate = per_minute / 60.0
        now = self._clock.now_ms() / 1000.0
        bucket = self._buckets.get((limit, key))
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.clear()
            bucket = self._buckets[(limit, key)] = _Bucket(capacity, now)
        elif now > bucket.updated:
            # A clock that steps backwards refills nothing and never drains a bucket.
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0
        return max(1, math.ceil((1.0 - bucket.tokens) / rate))


class FailureCounter:
    """Counts failures per key within a sliding window (login throttling)."""

    def __init__(self, clock: Clock, max_failures: int, window_seconds: int) -> None:
        self._clock = clock
        self.max_failures = max_failures
        self.window_ms = window_seconds * 1000
        self._failures: dict[str, deque[int]] = {}

    def _recent(self, key: str) -> deque[int]:
        now = self._clock.now_ms()
        entries = self._failures.setdefault(key, deque())
        while entries and entries[0] <= now - self.window_ms:
            entries.popleft()
        return entries

    def blocked_for(self, key: str) -> int:
        """Seconds until the next attempt is allowed; 0 when allowed now."""
        entries = self._recent(key)
        if len(entries) < self.max_failures:
            return 0
        return max(1, math.ceil((entries[0] + self.window_ms - self._clock.now_ms()) / 1000))

    def record(self, key: str) -> None:
        self._recent(key).append(self._clock.now_ms())

    def attempt(self, key: str) -> int:
        """Count an attempt as a failure before it is evaluated; 0 when it may go ahead, else
        the seconds to wait. Checking and counting in one step (no await between them) keeps
        concurrent attempts from all passing the check before any of them is counted."""
        wait = self.blocked_for(key)
        if not wait:
            self.record(key)
        return wait

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)
