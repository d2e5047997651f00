"""The hub's shared context: what every domain service may use. Built once in
`create_app` and reached from routes through `HubDep`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Request

from watchkeep.core.clock import Clock
from watchkeep.core.config import Settings
from watchkeep.core.crypto import SecretBox, load_box
from watchkeep.core.db import Store
from watchkeep.core.events.bus import EventBus
from watchkeep.core.ratelimit import FailureCounter, RateLimiter

T = TypeVar("T")


@dataclass
class Hub:
    settings: Settings
    store: Store
    clock: Clock
    bus: EventBus = field(default_factory=EventBus)
    limiter: RateLimiter | None = None
    login_failures: FailureCounter | None = None
    _locals: dict[type[Any], Any] = field(default_factory=dict, init=False, repr=False)
    _secrets: SecretBox | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = RateLimiter(self.clock)
        if self.login_failures is None:
            self.login_failures = FailureCounter(
                self.clock, self.settings.login_max_failures, self.settings.login_window_seconds
            )

    @property
    def secrets(self) -> SecretBox:
        """What seals and opens stored secrets; its key is read (or the key file made) on first use."""
        if self._secrets is None:
            self._secrets = load_box(self.settings)
        return self._secrets

    def local(self, kind: type[T]) -> T:
        """This hub process's one instance of `kind`, made on first use: where a domain keeps
        what it remembers in memory (caches that are hints, never the only copy of a fact)."""
        found = self._locals.get(kind)
        if found is None:
            found = self._locals[kind] = kind()
        return cast(T, found)


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]
