"""Install the UI's front-end packages (`npm ci`, pinned by package-lock.json) and copy the
files the pages load into watchkeep/web/static/vendor/, which git ignores and the wheel
carries. Run by `make` and by the wheel's build hook (hatch_build.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "watchkeep" / "web" / "static" / "vendor"
# node_modules path → name under vendor/
FILES = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "htmx-ext-sse/dist/sse.min.js": "htmx-sse.min.js",
    "uplot/dist/uPlot.iife.min.js": "uPlot.iife.min.js",
    "uplot/dist/uPlot.min.css": "uPlot.min.css",
}


def _installed(modules: Path) -> bool:
    """node_modules matches package-lock.json (npm writes its own copy of the lock there)."""
    lock = ROOT / "package-lock.json"
    hidden = modules / ".package-lock.json"
    return hidden.exists() and hidden.stat().st_mtime >= lock.stat().st_mtime


def vendor() -> None:
    modules = ROOT / "node_modules"
    if not _installed(modules):
        if shutil.which("npm") is None and all((VENDOR / name).exists() for name in FILES.values()):
            return  # a source distribution carries the files already
        if shutil.which("npm") is None:
            sys.exit("npm is needed to install the UI's front-end packages (Node.js 18 or newer)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True)
    VENDOR.mkdir(parents=True, exist_ok=True)
    for source, name in FILES.items():
        target = VENDOR / name
        origin = modules / source
        if not target.exists() or target.read_bytes() != origin.read_bytes():
            shutil.copyfile(origin, target)


if __name__ == "__main__":
    vendor()
