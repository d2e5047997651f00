"""A bad file gets an error naming its line, and nothing is written."""

from __future__ import annotations

import pytest

from tests.configfile.conftest import snapshot
from tests.configfile.objects import make_objects
from watchkeep.configfile.document import ConfigFileError
from watchkeep.configfile.service import import_file
from watchkeep.core.hub import Hub


async def _refused(hub: Hub, text: str, pattern: str, environ: dict[str, str] | None = None) -> None:
    await make_objects(hub)
    before = await snapshot(hub)
    with pytest.raises(ConfigFileError, match=pattern):
        await import_file(hub, text, environ or {}, prune=True)
    assert await snapshot(hub) == before


async def test_a_yaml_syntax_error_names_its_line(hub: Hub) -> None:
    text = "version: 1\nheartbeats:\n  - name: billing\n    tags: [money\n  - name: other\n"
    await _refused(hub, text, r"^line 5, column \d+: invalid YAML")


async def test_a_validation_error_names_the_line_and_the_field(hub: Hub) -> None:
    text = (
        "version: 1\nheartbeats:\n  - name: billing\n    periodSeconds: 600\n"
        "  - name: fast\n    periodSeconds: 600\n  - name: too fast\n    periodSeconds: 1\n"
    )
    await _refused(hub, text, r"^line 8: heartbeats\[2\]\.periodSeconds: Input should be greater than or equal")


async def test_a_rule_inside_a_channel_names_its_own_line(hub: Hub) -> None:
    text = (
        "version: 1\nchannels:\n  - name: ops\n    type: gotify\n    config:\n"
        "      url: http://127.0.0.1:9\n      token: t0123456789abcdef\n    rules:\n"
        "      - matchers: {source: heartbeat}\n      - repeatIntervalSeconds: 5\n"
    )
    await _refused(hub, text, r"^line 10: channels\[0\]\.rules\[1\]\.repeatIntervalSeconds: ")


async def test_a_missing_environment_variable_names_the_line_and_the_variable(hub: Hub) -> None:
    text = (
        "version: 1\nchannels:\n  - name: ops\n    type: gotify\n    config:\n"
        "      url: http://127.0.0.1:9\n      token: ${OPS_GOTIFY_TOKEN}\n"
    )
    await _refused(
        hub, text, r"^line 7: channels\[0\]\.config\.token: the environment variable OPS_GOTIFY_TOKEN is not set"
    )


async def test_an_unknown_field_is_refused_not_ignored(hub: Hub) -> None:
    text = "version: 1\nheartbeats:\n  - name: billing\n    periodSecond: 600\n"
    await _refused(hub, text, r"^line 4: heartbeats\[0\]\.periodSecond: unknown field")


async def test_an_unknown_section_is_refused(hub: Hub) -> None:
    await _refused(hub, "version: 1\nheartbeat: []\n", r"^line 2: heartbeat: unknown section")


async def test_the_version_line_is_required(hub: Hub) -> None:
    await _refused(hub, "heartbeats: []\n", r"^line 1: version: must be 1")


async def test_a_masked_secret_is_refused(hub: Hub) -> None:
    text = (
        "version: 1\nchannels:\n  - name: ops\n    type: gotify\n    config:\n"
        "      url: http://127.0.0.1:9\n      token: '********wxyz'\n"
    )
    await _refused(hub, text, r"^line 7: channels\[0\]\.config\.token: a masked value")
