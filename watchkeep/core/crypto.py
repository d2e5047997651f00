"""Encryption at rest of the secrets the hub must be able to use again (channel credentials,
webhook signing secrets and URLs, the agent-token signing key).

A stored secret is `wkenc1:<Fernet token>`. The Fernet key is derived (HKDF-SHA256) from
`WATCHKEEP_SECRET_KEY`, or, when that is unset, from the key file `<data_dir>/secret.key`,
created 0600 on first use. A value without the prefix was written by a version that stored
secrets in the clear: it is read as is and sealed when the hub starts."""

from __future__ import annotations

import base64
import logging
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from watchkeep.core.config import Settings
from watchkeep.core.files import ensure_private_dir, warn_if_wider

log = logging.getLogger("watchkeep.crypto")

PREFIX = "wkenc1:"
KEY_FILE = "secret.key"
MIN_KEY_CHARS = 32


class SecretKeyError(RuntimeError):
    """The key at hand cannot be used, or does not open what is stored: the hub must not
    start (nor deliver anything) with it."""


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


class SecretBox:
    def __init__(self, key_material: str, source: str) -> None:
        if len(key_material) < MIN_KEY_CHARS:
            raise SecretKeyError(f"the secret key from {source} is shorter than {MIN_KEY_CHARS} characters")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"watchkeep secrets at rest v1").derive(
            key_material.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))
        self.source = source

    def seal(self, plaintext: str) -> str:
        return PREFIX + self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, stored: str) -> str:
        """The plaintext of a stored value; a value written before encryption at rest is
        returned unchanged."""
        if not is_sealed(stored):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                f"the secret key from {self.source} does not decrypt the secrets stored in the database: "
                "they were encrypted with another key. Start the hub with the key it used before "
                "(every replica needs the same WATCHKEEP_SECRET_KEY)."
            ) from None

    def reseal(self, stored: str) -> str | None:
        """The sealed form of a legacy plaintext value; None when it is sealed already (after
        checking that this key opens it)."""
        if is_sealed(stored):
            self.open(stored)
            return None
        return self.seal(stored)


def load_box(settings: Settings) -> SecretBox:
    """The box keyed by `WATCHKEEP_SECRET_KEY`, else by the data dir's key file (made on first use)."""
    if settings.secret_key is not None:
        return SecretBox(settings.secret_key.get_secret_value(), "WATCHKEEP_SECRET_KEY")
    path = settings.data_dir / KEY_FILE
    return SecretBox(_read_or_create_key_file(path), str(path))


def _read_or_create_key_file(path: Path) -> str:
    ensure_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    key = secrets.token_urlsafe(32)
    try:
        # The mode given to open() is narrowed by the umask but never widened; fchmod pins it.
        os.fchmod(fd, 0o600)
        os.write(fd, f"{key}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("created the secret key file %s: back it up with the database", path)
    return key


def _read_key_file(path: Path) -> str:
    warn_if_wider(path, 0o600)
    try:
        key = path.read_text().strip()
    except OSError as exc:
        raise SecretKeyError(f"cannot read the secret key file {path}: {exc}") from None
    if not key:
        raise SecretKeyError(f"the secret key file {path} is empty; restore it from a backup")
    return key
