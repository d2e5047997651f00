"""Which values of an item are secrets, for the sections whose secrets sit in a mapping."""

from __future__ import annotations

from watchkeep.configfile.document import reference
from watchkeep.configfile.section import Secret
from watchkeep.core.masking import mask_url_credentials


def carries_credentials(value: object) -> bool:
    """A URL with a password or query values: written as a reference as a whole."""
    return isinstance(value, str) and "://" in value and mask_url_credentials(value) != value


def secrets_in(
    values: dict[str, object], secret_keys: frozenset[str], url_keys: frozenset[str], at: tuple[str, ...], *name: str
) -> list[Secret]:
    """The secrets among `values` (found at `at` in the item): every non-empty string of
    `secret_keys` (or each entry when it is a mapping), and the URLs of `url_keys` that carry
    credentials. `name` prefixes the variables' names."""
    found = []
    for key in sorted(values):
        value = values[key]
        if key in secret_keys and isinstance(value, str) and value:
            found.append(Secret((*at, key), reference(*name, key)))
        elif key in secret_keys and isinstance(value, dict):
            found += [
                Secret((*at, key, entry), reference(*name, key, entry))
                for entry in sorted(value)
                if isinstance(value[entry], str) and value[entry]
            ]
        elif key in url_keys and carries_credentials(value):
            found.append(Secret((*at, key), reference(*name, key)))
    return found
