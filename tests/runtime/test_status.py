"""Without a Docker engine the local runtime stays off, quietly, and says so."""

from __future__ import annotations

import pytest

from tests.support.hub import RunningHub
from watchkeep.containers.exits import exit_code_from_status, outcome


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_without_an_engine_the_runtime_is_off_and_the_hub_serves(hub: RunningHub) -> None:
    status = (await hub.admin.get("/api/v1/runtime/status")).json()
    assert (status["runtime"], status["connected"], status["following"]) == ("none", False, False)
    assert status["error"]
    assert (await hub.admin.get("/api/v1/containers")).json()["items"] == []


@pytest.mark.parametrize(
    ("code", "oom", "requested", "expected"),
    [
        (0, False, False, "completed"),
        (0, False, None, "completed"),
        (137, False, True, "completed"),
        (143, False, True, "completed"),
        (137, False, False, "failed"),  # a local container killed without a stop being asked
        (143, False, None, "completed"),  # an agent's container: a stop signal counts as asked
        (137, True, None, "failed"),
        (137, True, True, "failed"),
        (1, False, True, "failed"),
        (None, False, None, "failed"),
    ],
)
def test_the_exit_rule(code: int | None, oom: bool, requested: bool | None, expected: str) -> None:
    assert outcome(code, oom_killed=oom, requested_stop=requested) == expected


def test_the_exit_code_is_read_from_dockers_status_text() -> None:
    assert exit_code_from_status("Exited (137) 5 seconds ago") == 137
    assert exit_code_from_status("Exited (0) About a minute ago") == 0
    assert exit_code_from_status("Up 3 hours") is None
    assert exit_code_from_status(None) is None
