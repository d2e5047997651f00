"""The hub's shared context: what every domain service may use. Built once in
`create_app` and reached from routes through `HubDep`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from watchkeep.core.clock import Clock
from watchkeep.core.config import Settings
from watchkeep.core.db import Store
from watchkeep.core.events import EventBus
from watchkeep.core.ratelimit import FailureCounter, RateLimiter


@dataclass
class Hub:
    settings: Settings
    store: Store
    clock: Clock
    bus: EventBus = field(default_factory=EventBus)
    limiter: RateLimiter | None = None
    login_failures: FailureCounter | None = None

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = RateLimiter(self.clock)
        if self.login_failures is None:
            self.login_failures = FailureCounter(
                self.clock, self.settings.login_max_failures, self.settings.login_window_seconds
            )


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]
