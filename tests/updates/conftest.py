"""The registries of the image update tests: Debian's docker-registry on loopback, one open
and one demanding bearer tokens from a token service served by the test, each started once
per test session (per worker)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import registry as registries
from tests.support.registry import CountingProxy, Registry, TokenService, TokenSigner

TOKEN_USER, TOKEN_PASSWORD = "scanner", "scanner-password-1"


def _require() -> None:
    reason = registries.available()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and the registry cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """An open registry (anonymous pull and push)."""
    _require()
    running = registries.start(tmp_path_factory.mktemp("registry"))
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="session")
def token_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenService]:
    _require()
    signer = TokenSigner(Path(tmp_path_factory.mktemp("token-signer")))
    service = TokenService(signer, TOKEN_USER, TOKEN_PASSWORD)
    try:
        yield service
    finally:
        service.close()


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory, token_service: TokenService) -> Iterator[Registry]:
    """A registry with token auth: every request needs a bearer token its token service signed."""
    running = registries.start(
        tmp_path_factory.mktemp("token-registry"), signer=token_service.signer, realm=token_service.realm
    )
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def proxy(registry: Registry) -> Iterator[CountingProxy]:
    """A counting proxy in front of the open registry."""
    running = CountingProxy(registry.url)
    try:
        yield running
    finally:
        running.close()
