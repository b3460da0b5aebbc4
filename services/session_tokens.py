"""Signed, expiring session tokens: what the browser keeps in a cookie, so a reload, a typed link or a new tab stays
signed in. itsdangerous signs the user name and the time it was issued with the installation's secret key; a token
that was changed, or is older than the session lifetime, signs nobody in."""

from __future__ import annotations

from typing import Final

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from domain.config import Settings
from domain.errors import SessionExpired
from storage.secret_box import installation_key

SESSION_COOKIE: Final = "rc_session"
SESSION_SECONDS: Final = 12 * 3600  # a working day: a forgotten tab does not stay signed in overnight
_SALT = "revenue-connector-session"  # this key signs sessions only, never anything else


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(installation_key(settings), salt=_SALT)


def issue_session_token(settings: Settings, username: str) -> str:
    """A token naming `username`, valid for SESSION_SECONDS."""
    return _serializer(settings).dumps({"user": username})


def username_from_token(settings: Settings, token: str | None, *, max_age: int = SESSION_SECONDS) -> str | None:
    """Who the token signs in; None for no token or one that was tampered with. Raises SessionExpired for a genuine
    token past its lifetime (so the page can say why the person has to sign in again)."""
    if not token:
        return None
    try:
        payload = _serializer(settings).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise SessionExpired("Your session expired after 12 hours. Sign in again.") from exc
    except BadSignature:
        return None
    user = payload.get("user") if isinstance(payload, dict) else None
    return user if isinstance(user, str) and user else None
