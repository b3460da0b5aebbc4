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
        assert sign_in(session, "vera", "viewer password 1", client="t") == Access("vera", Role.VIEWER)
        with pytest.raises(NotSignedIn, match="Unknown user name or wrong password"):
            sign_in(session, "vera", "viewer password 2", client="t")
        with pytest.raises(NotSignedIn, match="Unknown user name or wrong password"):
            sign_in(session, "nobody", "viewer password 1", client="t")
        with pytest.raises(NotPermitted):
            create_user(session, "eve", role=Role.ADMIN, password="long enough pw", actor=Access("vera", Role.VIEWER))
        with pytest.raises(WeakPassword):
            create_user(session, "bob", role=Role.FINANCE, password="short", actor=Access("ada", Role.ADMIN))
        with pytest.raises(UserError, match="only admin"):
            change_role(session, "ada", Role.FINANCE, actor=Access("ada", Role.ADMIN))


def _users(engine):
    with session_scope(engine) as session:
        admin = Access(LOCAL_ADMIN, Role.ADMIN)
        create_user(session, "ada", role=Role.ADMIN, password="correct horse battery", actor=admin)


def _attempt(engine, name, password, client="10.0.0.1", now=None):
    with session_scope(engine) as session:
        return sign_in(session, name, password, client=client, now=now)


def test_repeated_failures_lock_the_name_then_the_wait_doubles_and_success_clears_it(engine):
    from datetime import timedelta

    from storage.tables import utcnow

    _users(engine)
    start = utcnow()
    for i in range(5):  # five free attempts, from different machines so only the name counts
        with pytest.raises(NotSignedIn, match="wrong password"):
            _attempt(engine, "ada", "guess", client=f"10.0.0.{i}", now=start)
    with pytest.raises(NotSignedIn, match="Too many failed sign-ins. Try again in 30 seconds"):
        _attempt(engine, "ada", "correct horse battery", client="10.9.9.9", now=start)  # even the right one waits
    later = start + timedelta(seconds=31)
    with pytest.raises(NotSignedIn, match="wrong password"):
        _attempt(engine, "ada", "guess again", client="10.9.9.9", now=later)
    with pytest.raises(NotSignedIn, match="Try again in 60 seconds"):
        _attempt(engine, "ada", "correct horse battery", client="10.9.9.8", now=later)
    signed = _attempt(engine, "ada", "correct horse battery", client="10.9.9.8", now=later + timedelta(seconds=61))
    assert signed.actor == "ada"
    assert _attempt(engine, "ada", "correct horse battery", client="10.9.9.7", now=later + timedelta(seconds=62))


def test_one_client_trying_many_names_is_locked_too(engine):
    _users(engine)
    for i in range(5):
        with pytest.raises(NotSignedIn, match="wrong password"):
            _attempt(engine, f"user{i}", "guess", client="203.0.113.5")
    with pytest.raises(NotSignedIn, match="Too many failed sign-ins"):
        _attempt(engine, "ada", "correct horse battery", client="203.0.113.5")
    assert _attempt(engine, "ada", "correct horse battery", client="198.51.100.7").actor == "ada"


def test_an_unknown_name_costs_what_a_real_one_costs(engine):
    import statistics
    import time

    _users(engine)

    def timed(name):
        began = time.perf_counter()
        with pytest.raises(NotSignedIn):
            _attempt(engine, name, "wrong password", client=f"c-{name}-{time.perf_counter()}")
        return time.perf_counter() - began

    # Alternate, and clear the count so no lock cuts an attempt short.
    real, unknown = [], []
    for _ in range(4):
        real.append(timed("ada"))
        unknown.append(timed("nobody-here"))
        with session_scope(engine) as session:
            from storage.users import clear_sign_in_failures

            clear_sign_in_failures(session, ["user:ada", "user:nobody-here"])
    ratio = statistics.median(unknown) / statistics.median(real)
    assert 0.5 < ratio < 2.0, (real, unknown)  # before: 1 ms against 231 ms
