"""Users, roles and sign-in on SQLite and PostgreSQL; passwords are stored as argon2 hashes only."""

import pytest
from sqlmodel import select

from domain.errors import NotPermitted, NotSignedIn
from domain.roles import LOCAL_ADMIN, Access, Role, local_admin
from services.passwords import WeakPassword
from services.startup import start
from services.users import UserError, access_for, change_role, create_user, sign_in, users_defined
from storage.db import session_scope
from storage.tables import AppUser


@pytest.fixture
def engine(settings):
    engine = start(settings)
    yield engine
    engine.dispose()


def test_local_mode_is_admin_until_an_admin_creates_users(engine):
    with session_scope(engine) as session:
        assert not users_defined(session)
        assert access_for(session, None) == local_admin()
        with pytest.raises(UserError, match="first user must be an admin"):
            create_user(session, "vera@example.com", role=Role.VIEWER, password="long enough pw", actor=local_admin())
        create_user(session, "Ada@Example.com", role=Role.ADMIN, password="correct horse battery", actor=local_admin())
    with session_scope(engine) as session:
        assert users_defined(session)
        with pytest.raises(NotSignedIn):
            access_for(session, None)
        stored = session.exec(select(AppUser)).one()
        assert stored.username == "ada@example.com" and stored.password_hash.startswith("$argon2id$")
        assert "correct horse" not in stored.password_hash


def test_sign_in_gives_the_users_role_and_refuses_wrong_or_disabled_credentials(engine):
    with session_scope(engine) as session:
        admin = Access(LOCAL_ADMIN, Role.ADMIN)
        create_user(session, "ada", role=Role.ADMIN, password="correct horse battery", actor=admin)
        create_user(session, "vera", role=Role.VIEWER, password="viewer password 1", actor=admin)
    with session_scope(engine) as session:
        assert sign_in(session, "vera", "viewer password 1") == Access("vera", Role.VIEWER)
        with pytest.raises(NotSignedIn, match="Unknown user name or wrong password"):
            sign_in(session, "vera", "viewer password 2")
        with pytest.raises(NotSignedIn, match="Unknown user name or wrong password"):
            sign_in(session, "nobody", "viewer password 1")
        with pytest.raises(NotPermitted):
            create_user(session, "eve", role=Role.ADMIN, password="long enough pw", actor=Access("vera", Role.VIEWER))
        with pytest.raises(WeakPassword):
            create_user(session, "bob", role=Role.FINANCE, password="short", actor=Access("ada", Role.ADMIN))
        with pytest.raises(UserError, match="only admin"):
            change_role(session, "ada", Role.FINANCE, actor=Access("ada", Role.ADMIN))
