"""The app's users as stored (the rules about them are in services/users.py)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from domain.roles import Role
from storage.tables import AppUser


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
