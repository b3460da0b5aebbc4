"""Password hashing with argon2id (argon2-cffi); plain text never leaves this module's caller."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import RevenueConnectorError

_hasher = PasswordHasher()
MIN_LENGTH = 10


class WeakPassword(RevenueConnectorError):
    """A new password is too short or equal to the user name."""


def hash_password(password: str, *, username: str = "") -> str:
    """An argon2id hash of a new password, after checking it is not trivially weak."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"A password needs at least {MIN_LENGTH} characters.")
    if username and password.lower() == username.lower():
        raise WeakPassword("A password must differ from the user name.")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing or unreadable hash never matches."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def stand_in_hash() -> str:
    """A hash no password is known for, verified for unknown user names so they cost what real ones cost."""
    return _hasher.hash(secrets.token_urlsafe(32))
