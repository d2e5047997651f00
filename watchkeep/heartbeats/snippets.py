"""Ready-to-paste code that pings a monitor, using its real ping URL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COMMAND = "/path/to/command"


def ping_url(base_url: str, uuid: str) -> str:
    return f"{base_url}/ping/{uuid}"


def crontab_schedule(monitor: Mapping[Any, Any]) -> str:
    """The monitor's own cron expression, or a crontab schedule matching a simple period."""
    if monitor["kind"] == "cron":
        return str(monitor["cron"])
    period = int(monitor["period_seconds"])
    minutes, hours = period // 60, period // 3600
    if period % 60 == 0 and minutes < 60 and 60 % minutes == 0:
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    if period % 3600 == 0 and hours < 24 and 24 % hours == 0:
        return "0 * * * *" if hours == 1 else f"0 */{hours} * * *"
    if period == 7 * 86_400:
        return "0 0 * * 0"
    return "0 0 * * *"


def snippets(monitor: Mapping[Any, Any], base_url: str) -> dict[str, str]:
    url = ping_url(base_url, monitor["uuid"])
    curl = "curl -fsS -m 10 --retry 5 -o /dev/null"
    crontab = f"{crontab_schedule(monitor)} {curl} {url}/start ; {COMMAND} ; {curl} {url}/$?"
    if monitor["kind"] == "cron" and monitor["timezone"] != "UTC":
        crontab = f"CRON_TZ={monitor['timezone']}\n{crontab}"
    return {
        "curl": f"{curl} {url}",
        "wget": f"wget -q -T 10 -t 5 -O /dev/null {url}",
        "python": f'import urllib.request\n\nurllib.request.urlopen("{url}", timeout=10)',
        "powershell": f"Invoke-RestMethod -Uri {url} -TimeoutSec 10",
        "crontab": crontab,
    }
