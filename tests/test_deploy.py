"""The Dockerfile and compose.yaml parse and name only real things: commands the CLI has,
settings the hub and the agent read, a health route the app serves, files the repository
holds. Nothing is built here (no image is pulled on CI)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from watchkeep.agent.config import AgentSettings, env_name
from watchkeep.app import create_app
from watchkeep.cli import app as cli
from watchkeep.core.config import Settings
from watchkeep.core.http.openapi import every_route

ROOT = Path(__file__).resolve().parent.parent
HUB_ENV = {f"WATCHKEEP_{name.upper()}" for name in Settings.model_fields}
AGENT_ENV = {env_name(name) for name in AgentSettings.model_fields}


def _instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) of each Dockerfile line, continuations joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _runs(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, f"watchkeep {' '.join(command)}: {result.output}"


def test_the_dockerfile_is_multi_stage_non_root_and_names_real_things(tmp_path: Path) -> None:
    instructions = _instructions()
    known = {
        "FROM",
        "ARG",
        "WORKDIR",
        "COPY",
        "RUN",
        "ENV",
        "USER",
        "VOLUME",
        "EXPOSE",
        "HEALTHCHECK",
        "ENTRYPOINT",
        "CMD",
    }
    assert {word for word, _ in instructions} <= known
    stages = [args for word, args in instructions if word == "FROM"]
    assert len(stages) >= 2 and all(" AS " in stage.upper() for stage in stages[:-1])
    final = [i for i, (word, _) in enumerate(instructions) if word == "FROM"][-1]
    runtime = instructions[final:]
    users = [args for word, args in runtime if word == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    # Files copied from the build context exist.
    for word, args in instructions:
        if word == "COPY" and "--from" not in args:
            for source in shlex.split(args)[:-1]:
                assert source == "." or (ROOT / source).exists(), source
    env = dict(pair.split("=", 1) for word, args in runtime if word == "ENV" for pair in shlex.split(args))
    assert {name for name in env if name.startswith("WATCHKEEP_")} <= HUB_ENV
    exposed = [args for word, args in runtime if word == "EXPOSE"]
    assert exposed == [env["WATCHKEEP_PORT"]]
    Settings.model_validate(
        {name.removeprefix("WATCHKEEP_").lower(): value for name, value in env.items() if name in HUB_ENV}
    )
    # The entrypoint and command are the CLI's; the health check asks a route the app serves.
    entrypoint = json.loads(next(args for word, args in runtime if word == "ENTRYPOINT"))
    command = json.loads(next(args for word, args in runtime if word == "CMD"))
    assert entrypoint == ["watchkeep"]
    _runs(command)
    _runs(["agent"])
    healthcheck = next(args for word, args in runtime if word == "HEALTHCHECK")
    path = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]+)", healthcheck)
    assert path is not None and path.group(1) == env["WATCHKEEP_PORT"]
    settings = Settings(data_dir=tmp_path, docker_host=f"unix://{tmp_path}/none.sock")
    assert path.group(2) in {route.path for route in every_route(create_app(settings))}
    extras = re.findall(r"watchkeep\[(\w+)\]", (ROOT / "Dockerfile").read_text())
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert extras and all(f"\n{extra} = [" in pyproject for extra in extras)


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def test_compose_runs_the_hub_and_an_agent_with_read_only_host_mounts() -> None:
    services = _compose()["services"]
    assert set(services) == {"hub", "agent", "postgres"}
    hub, agent = services["hub"], services["agent"]
    _runs(hub["command"])
    _runs(agent["command"])
    assert agent["command"] == ["agent"]
    assert any(volume.split(":")[1] == "/data" for volume in hub["volumes"])
    mounts = {volume.split(":")[1]: volume for volume in agent["volumes"]}
    for target in ("/host/proc", "/host/sys", "/var/run/docker.sock"):
        assert mounts[target].endswith(":ro"), mounts[target]
    assert agent["environment"]["WATCHKEEP_HOST_ROOT"] == "/host"
    assert set(hub["environment"]) <= HUB_ENV
    assert set(agent["environment"]) <= AGENT_ENV
    assert services["postgres"]["profiles"] == ["postgres"]
    assert set(_compose()["volumes"]) >= {
        volume.split(":")[0] for volume in hub["volumes"] if not volume.startswith("/")
    }


def test_the_deploy_docs_name_the_settings_they_use() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text()
    named = set(re.findall(r"WATCHKEEP_[A-Z_]+", text))
    assert named and named <= HUB_ENV | AGENT_ENV
