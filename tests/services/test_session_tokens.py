"""Signed session tokens (issue 21): a genuine token names its user, an edited one nobody, an old one says why."""

import time

import pytest

from domain.config import load_settings
from domain.errors import SessionExpired
from services.session_tokens import issue_session_token, username_from_token


@pytest.fixture
def settings(env):
    return load_settings(env)


def test_a_token_names_its_user_and_an_edited_one_nobody(settings, env, tmp_path):
    token = issue_session_token(settings, "ada")
    assert username_from_token(settings, token) == "ada"
    assert username_from_token(settings, token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert username_from_token(settings, "") is None and username_from_token(settings, "garbage") is None
    # Another installation's key signs nobody in here.
    other = tmp_path / "other"
    other.mkdir()
    assert username_from_token(load_settings({"REVENUE_CONNECTOR_DATA": str(other)}), token) is None


def test_an_old_token_expires_with_a_reason(settings):
    token = issue_session_token(settings, "ada")
    time.sleep(1.1)
    with pytest.raises(SessionExpired, match="Sign in again"):
        username_from_token(settings, token, max_age=0)
