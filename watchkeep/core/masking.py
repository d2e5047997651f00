"""How a stored secret is shown: never whole, to any role.

- A secret is shown as `********` followed by its last 4 characters (`********wxyz`); one
  shorter than 16 characters as `********` alone.
- A URL that is itself a secret (a Slack, Discord or Teams webhook URL, an Apprise URL) as
  its scheme and host, then the same mask: `https://hooks.slack.com/********wxyz`.
- A URL that is not a secret but carries credentials (`https://user:pass@host/path?token=x`)
  with the password and every query value masked:
  `https://user:********@host/path?token=********`.

A client that sends a shown value back unchanged (or `********` alone) means "keep what is
stored"; any other value holding the mask is refused, so a mask is never stored as a secret."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "********"
_SHOWN_TAIL = 4
_TAIL_FROM_LENGTH = 16


def _tail(value: str) -> str:
    return value[-_SHOWN_TAIL:] if len(value) >= _TAIL_FROM_LENGTH else ""


def mask_secret(value: str) -> str:
    if "://" in value:
        try:
            parts = urlsplit(value)
            host = parts.hostname or ""
        except ValueError:
            host = ""
        else:
            if parts.scheme and host:
                return f"{parts.scheme}://{host}/{MASK}{_tail(value)}"
    return MASK + _tail(value)


def mask_url_credentials(url: str) -> str:
    """`url` with the password of its userinfo and the values of its query masked."""
    try:
        parts = urlsplit(url)
        password = parts.password
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return mask_secret(url)
    netloc = parts.netloc
    if password is not None:
        netloc = f"{parts.username or ''}:{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(name, MASK if value else value) for name, value in pairs], safe="*")
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def kept(given: str, stored: str | None, shown: str | None) -> bool:
    """Whether `given` asks to keep the stored value: the bare mask, or the value as shown."""
    return stored is not None and given in (MASK, shown)


def looks_masked(value: str) -> bool:
    return MASK in value
