"""Status badges: shields-like SVG, a label on the left and the status on the right, in the
`flat` (rounded, a light gradient) or `flat-square` style."""

from __future__ import annotations

from xml.sax.saxutils import escape

STYLES = ("flat", "flat-square")
COLORS = {
    "operational": "#2e9e44",
    "under_maintenance": "#3d7fd6",
    "degraded": "#d9a400",
    "partial_outage": "#e0701b",
    "major_outage": "#d23a2e",
    "unknown": "#8a8a8a",
}
MESSAGES = {
    "operational": "operational",
    "under_maintenance": "maintenance",
    "degraded": "degraded",
    "partial_outage": "partial outage",
    "major_outage": "major outage",
    "unknown": "not found",
}
LABEL_COLOR = "#555"
# Rough advance widths of Verdana 11px, the shields font: narrow, wide and the rest.
_NARROW = set("fijlrtI.,:;!'|() ")
_WIDE = set("mwMW@%")


def text_width(text: str) -> int:
    width = 0.0
    for char in text:
        width += 3.6 if char in _NARROW else 10.0 if char in _WIDE else 8.2 if char.isupper() else 6.8
    return round(width)


def badge(label: str, status: str, style: str = "flat") -> str:
    message = MESSAGES.get(status, status)
    color = COLORS.get(status, COLORS["unknown"])
    left = text_width(label) + 10
    right = text_width(message) + 10
    total = left + right
    radius = 0 if style == "flat-square" else 3
    label_x, message_x = left / 2, left + right / 2
    title = escape(f"{label}: {message}")
    label_text, message_text = escape(label), escape(message)
    gradient = (
        ""
        if style == "flat-square"
        else '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
    )
    shine = "" if style == "flat-square" else f'<rect width="{total}" height="20" fill="url(#s)"/>'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{title}">'
        f"<title>{title}</title>{gradient}"
        f'<clipPath id="r"><rect width="{total}" height="20" rx="{radius}" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="{LABEL_COLOR}"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{color}"/>{shine}</g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{label_x}" y="15" fill="#010101" fill-opacity=".3">{label_text}</text>'
        f'<text x="{label_x}" y="14">{label_text}</text>'
        f'<text x="{message_x}" y="15" fill="#010101" fill-opacity=".3">{message_text}</text>'
        f'<text x="{message_x}" y="14">{message_text}</text></g></svg>'
    )
