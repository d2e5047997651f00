from tests.support.hub import RunningHub
from watchkeep import __version__


async def test_health_answers_ok_with_the_version(hub: RunningHub) -> None:
    response = await hub.client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}
