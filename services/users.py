"""People who may use the app, their roles and sign-in: the rules (the first user is an admin, the last admin
stays one, one message for any failed sign-in). With no users, the local user is admin."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from domain.errors import NotSignedIn, RevenueConnectorError
from domain.roles import Access, Permission, Role, local_admin
from domain.sign_in_throttle import client_key, locked_until, user_key
from services.passwords import hash_password, stand_in_hash, verify_password
from storage import audit
from storage import users as user_store
from storage.tables import AppUser, utcnow


class UserError(RevenueConnectorError):
    """A user cannot be created or changed as asked."""


def users_defined(session: Session) -> bool:
    """True once an admin has created at least one user: from then on everyone signs in."""
    return user_store.count_users(session) > 0


def list_users(session: Session) -> list[AppUser]:
    return user_store.list_users(session)


def create_user(
    session: Session, username: str, *, role: Role, password: str | None, display_name: str = "", actor: Access
) -> AppUser:
    """A new user. The first user must be an admin, so nobody locks the workspace out of user management."""
    actor.require(Permission.MANAGE_USERS)
    username = username.strip().lower()
    if not username or len(username) > 80 or any(ch.isspace() for ch in username):
        raise UserError("A user name is one word of at most 80 characters, such as an e-mail address.")
    if user_store.find_user(session, username) is not None:
        raise UserError(f"A user named {username} already exists.")
    if not users_defined(session) and role != Role.ADMIN:
        raise UserError("The first user must be an admin: once users exist, only an admin can manage them.")
    user = user_store.add_user(
        session,
        username=username,
        display_name=display_name.strip() or username,
        role=role.value,
        password_hash=hash_password(password, username=username) if password else None,
    )
    audit.record(
        session,
        actor=actor.actor,
        action="create",
        entity="user",
        entity_id=username,
        detail={"role": role.value, "sign_in": "password" if password else "single sign-on"},
    )
    return user


def change_role(session: Session, username: str, role: Role, *, actor: Access) -> AppUser:
    """Give a user another role; the last enabled admin cannot be demoted."""
    actor.require(Permission.MANAGE_USERS)
    user = _user(session, username)
    if user.role == Role.ADMIN and role != Role.ADMIN and user_store.enabled_admins(session) <= 1:
        raise UserError(f"{username} is the only admin; make someone else admin first.")
    before, user.role = user.role, role.value
    session.add(user)
    audit.record(
        session,
        actor=actor.actor,
        action="change role",
        entity="user",
        entity_id=username,
        detail={"before": before, "after": role.value},
    )
    return user


def set_disabled(session: Session, username: str, disabled: bool, *, actor: Access) -> AppUser:
    """Disable or enable a user; the last enabled admin cannot be disabled."""
    actor.require(Permission.MANAGE_USERS)
    user = _user(session, username)
    if disabled and user.role == Role.ADMIN and user_store.enabled_admins(session) <= 1:
        raise UserError(f"{username} is the only admin; make someone else admin first.")
    user.disabled = disabled
    session.add(user)
    audit.record(
        session, actor=actor.actor, action="disable" if disabled else "enable", entity="user", entity_id=username
    )
    return user


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    client: str,
    min_accounts: int = 5,
    now: datetime | None = None,
) -> Access:
    """The Access of a user whose password matches; NotSignedIn otherwise.

    The same message and the same work whether the name exists or not (a password is always verified, against
    a stand-in hash for unknown names), so neither the answer nor its timing tells which names are real.
    After repeated failures for the name or from the `client` (an address, or "cli@host"), sign-in waits
    (domain/sign_in_throttle.py) before it looks at a password again.
    """
    now = now or utcnow()
    keys = [user_key(username), client_key(client)]
    waits = [
        locked_until(row.failures, _aware(row.last_failure_at)) - now
        for row in user_store.sign_in_failures(session, keys)
    ]
    wait = max(waits, default=timedelta(0))
    if wait > timedelta(0):
        raise NotSignedIn(f"Too many failed sign-ins. Try again in {math.ceil(wait.total_seconds())} seconds.")
    user = user_store.find_user(session, username.strip().lower())
    usable = user is not None and not user.disabled and user.password_hash
    matches = verify_password(user.password_hash if usable and user else stand_in_hash(), password)
    if not (usable and matches and user):
        user_store.record_sign_in_failure(session, keys, now)
        raise NotSignedIn("Unknown user name or wrong password.")
    user_store.clear_sign_in_failures(session, keys)
    return Access(user.username, Role(user.role), min_accounts)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def access_for(session: Session, username: str | None, *, min_accounts: int = 5) -> Access:
    """The Access of an already-authenticated name (a session or single sign-on e-mail).

    With no users defined this is the local admin; otherwise the name must be an enabled user.
    """
    if not users_defined(session):
        return local_admin(min_accounts)
    user = user_store.find_user(session, (username or "").strip().lower())
    if user is None or user.disabled:
        raise NotSignedIn("Please sign in." if not username else f"{username} is not an enabled user of this app.")
    return Access(user.username, Role(user.role), min_accounts)


def _user(session: Session, username: str) -> AppUser:
    user = user_store.find_user(session, username)
    if user is None:
        raise UserError(f"There is no user named {username}.")
    return user
