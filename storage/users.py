"""The app's users as stored (the rules about them are in services/users.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from domain.roles import Role
from storage.tables import AppUser, SignInFailure


def count_users(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AppUser)).one()


def list_users(session: Session) -> list[AppUser]:
    return list(session.exec(select(AppUser).order_by(AppUser.username)))


def find_user(session: Session, username: str) -> AppUser | None:
    return session.exec(select(AppUser).where(AppUser.username == username)).first()


def add_user(session: Session, *, username: str, display_name: str, role: str, password_hash: str | None) -> AppUser:
    user = AppUser(username=username, display_name=display_name, role=role, password_hash=password_hash)
    session.add(user)
    session.flush()
    return user


def enabled_admins(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(AppUser).where(AppUser.role == Role.ADMIN.value, AppUser.disabled == False)
    ).one()  # noqa: E712


def sign_in_failures(session: Session, keys: list[str]) -> list[SignInFailure]:
    """The failure counts of these user-name and client keys (missing keys have none)."""
    return list(session.exec(select(SignInFailure).where(col(SignInFailure.key).in_(keys))))


def record_sign_in_failure(session: Session, keys: list[str], now: datetime) -> None:
    """One more failure for each key, committed at once: the caller is about to refuse the sign-in."""
    known = {row.key: row for row in sign_in_failures(session, keys)}
    for key in keys:
        row = known.get(key) or SignInFailure(key=key)
        row.failures += 1
        row.last_failure_at = now
        session.add(row)
    session.commit()


def clear_sign_in_failures(session: Session, keys: list[str]) -> None:
    for row in sign_in_failures(session, keys):
        session.delete(row)
