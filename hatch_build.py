"""The wheel carries the UI's front-end files: they are copied into the git-ignored
watchkeep/web/static/vendor/ before the build (see tools/vendor.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class VendorHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        script = Path(self.root) / "tools" / "vendor.py"
        spec = importlib.util.spec_from_file_location("watchkeep_vendor", script)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.vendor()
