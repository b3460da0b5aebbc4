"""Encryption of connection secrets at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from REVENUE_CONNECTOR_SECRET_KEY, else from `secret.key` in the data folder,
created once with owner-only permissions. Secrets are decrypted only when a connector needs them
and are never logged or shown back in full.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from domain.config import Settings
from domain.errors import SecretKeyError


class SecretBox:
    """Encrypts and decrypts a dict of secrets as one token."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise SecretKeyError(
                "The secret key is not a valid Fernet key.",
                hint="Generate one with `python -m core secret-key` and set REVENUE_CONNECTOR_SECRET_KEY.",
            ) from exc

    def seal(self, secrets: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(secrets, sort_keys=True).encode()).decode()

    def open(self, token: str) -> dict[str, str]:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise SecretKeyError(
                "Stored connection secrets cannot be decrypted with the current key.",
                hint="The key changed since they were saved: restore the old key or re-enter the credentials in Connect.",
            ) from exc


def _read_or_create_key_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def installation_key(settings: Settings) -> bytes:
    """This installation's secret key (REVENUE_CONNECTOR_SECRET_KEY, else the key file, created on first use)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    return _read_or_create_key_file(settings.secret_key_file)


def secret_box(settings: Settings) -> SecretBox:
    """The box for this installation's key."""
    return SecretBox(installation_key(settings))


def redact(value: str | None) -> str:
    """What a page may show of a secret: its last four characters at most."""
    if not value:
        return ""
    return "••••" + value[-4:] if len(value) > 8 else "••••"
