"""Browser tests: Debian's chromium driven by Playwright, one browser per test session,
against a real `watchkeep serve`. Screenshots go to the git-ignored artifacts/e2e/.

Playwright's async API on the session's event loop: the browser lives as long as the
session, and no event loop stays running between tests (the other tests each run their own).
Test modules here mark themselves `pytest.mark.asyncio(loop_scope="session")`."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.support.postgres import IN_CI
from tests.support.process import ServeProcess, start_serve

CHROMIUM = os.environ.get("WATCHKEEP_TEST_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _missing() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    if not AXE.exists():
        return f"axe-core is not installed at {AXE} (make vendor runs npm ci)"
    return None


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    reason = _missing()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        await launched.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeProcess]:
    process = start_serve(
        tmp_path,
        f"sqlite:///{tmp_path / 'watchkeep.db'}",
        env={
            "WATCHKEEP_SELF_MONITOR": "true",
            "WATCHKEEP_AGENT_PUSH_INTERVAL_SECONDS": "1",
            "WATCHKEEP_EVENT_POLL_SECONDS": "0.2",
        },
    )
    try:
        process.wait_healthy()
        yield process
    finally:
        process.terminate()


async def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def check_accessibility(page: Any) -> None:
    """axe-core on the page as it stands: no violation of impact serious or critical."""
    # Evaluated through the browser's debugging protocol, so the page's CSP (no inline
    # script) does not stop it; the page itself stays under its CSP.
    await page.evaluate(AXE.read_text())
    result = await page.evaluate("async () => await axe.run(document)")
    grave = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert grave == [], json.dumps(grave, indent=1)
