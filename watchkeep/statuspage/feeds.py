"""The incident feeds: Atom and RSS 2.0, one entry per incident update, newest first."""

from __future__ import annotations

from email.utils import format_datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from watchkeep.core.clock import from_ms, rfc3339
from watchkeep.statuspage.repository import IncidentUpdate, PageSettings

ATOM_NS = "http://www.w3.org/2005/Atom"
STATUS_WORDS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
FeedEntry = tuple[IncidentUpdate, str]  # the update and its incident's title


def _title(update: IncidentUpdate, incident_title: str) -> str:
    return f"{incident_title}: {STATUS_WORDS.get(update.status, update.status)}"


def _entry_id(base_url: str, update: IncidentUpdate) -> str:
    return f"{base_url}/status#{update.incident_id}-{update.id}"


def atom(settings: PageSettings, base_url: str, entries: list[FeedEntry], now_ms: int) -> bytes:
    feed = Element("feed", xmlns=ATOM_NS)
    SubElement(feed, "title").text = settings.title
    if settings.description:
        SubElement(feed, "subtitle").text = settings.description
    SubElement(feed, "id").text = f"{base_url}/status"
    SubElement(feed, "link", rel="alternate", type="text/html", href=f"{base_url}/status")
    SubElement(feed, "link", rel="self", type="application/atom+xml", href=f"{base_url}/status/feed.atom")
    newest = entries[0][0].created_at if entries else now_ms
    SubElement(feed, "updated").text = rfc3339(newest)
    SubElement(SubElement(feed, "author"), "name").text = settings.title
    for update, title in entries:
        entry = SubElement(feed, "entry")
        SubElement(entry, "title").text = _title(update, title)
        SubElement(entry, "id").text = _entry_id(base_url, update)
        SubElement(entry, "link", rel="alternate", type="text/html", href=f"{base_url}/status#{update.incident_id}")
        SubElement(entry, "updated").text = rfc3339(update.created_at)
        SubElement(entry, "published").text = rfc3339(update.created_at)
        SubElement(entry, "content", type="text").text = update.message
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(feed, encoding="unicode").encode()


def rss(settings: PageSettings, base_url: str, entries: list[FeedEntry], now_ms: int) -> bytes:
    root = Element("rss", version="2.0")
    channel = SubElement(root, "channel")
    SubElement(channel, "title").text = settings.title
    SubElement(channel, "link").text = f"{base_url}/status"
    SubElement(channel, "description").text = settings.description or f"{settings.title}: incidents"
    newest = entries[0][0].created_at if entries else now_ms
    SubElement(channel, "lastBuildDate").text = format_datetime(from_ms(newest))
    for update, title in entries:
        item = SubElement(channel, "item")
        SubElement(item, "title").text = _title(update, title)
        SubElement(item, "link").text = f"{base_url}/status#{update.incident_id}"
        SubElement(item, "guid", isPermaLink="false").text = _entry_id(base_url, update)
        SubElement(item, "pubDate").text = format_datetime(from_ms(update.created_at))
        SubElement(item, "description").text = update.message
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="unicode").encode()
