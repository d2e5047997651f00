from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import pytest

from tests.support.alerting import QUIET_LOOPS
from tests.support.hub import RunningHub
from tests.support.receiver import Receiver, running_receiver
from watchkeep.core.clock import FrozenClock


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


@pytest.fixture
async def hub(
    start_hub: Callable[..., AbstractAsyncContextManager[RunningHub]], clock: FrozenClock
) -> AsyncIterator[RunningHub]:
    async with start_hub(clock=clock, **QUIET_LOOPS) as running:
        yield running
