import pytest

from connectors.forms import parse_queries, split_settings, visible_fields
from domain.errors import ValidationError
from domain.source_kinds import SourceKind


def test_salesforce_fields_follow_the_login_method():
    keys = {f.key for f in visible_fields(SourceKind.SALESFORCE, {"auth": "session"})}
    assert {"instance_url", "session_id"} <= keys and "password" not in keys


def test_secrets_are_split_from_settings():
    settings, secrets = split_settings(
        SourceKind.SALESFORCE,
        {"auth": "password", "username": "u@x.com", "password": "pw", "security_token": "tok", "domain": "test"},
    )
    assert settings == {"auth": "password", "domain": "test", "username": "u@x.com"}
    assert secrets == {"password": "pw", "security_token": "tok"}


@pytest.mark.parametrize(
    ("kind", "values", "message"),
    [
        (SourceKind.HUBSPOT, {}, "Private app token: this field is required."),
        (
            SourceKind.SALESFORCE,
            {"auth": "client_credentials", "consumer_key": "k", "consumer_secret": "s"},
            "client credentials need your My Domain",
        ),
        (SourceKind.HUBSPOT, {"access_token": "t", "host": "api.hubapi.com"}, "API host: start with https://"),
        (SourceKind.WAREHOUSE, {"database_url": "sqlite://", "queries": "SELECT 1"}, "Queries, line 1"),
    ],
)
def test_invalid_input_names_the_field(kind, values, message):
    with pytest.raises(ValidationError, match=message):
        split_settings(kind, values)


def test_queries_parse_by_name():
    assert parse_queries("arr: SELECT * FROM t WHERE a = 'x:y'\n\ndeals: SELECT 1") == {
        "arr": "SELECT * FROM t WHERE a = 'x:y'",
        "deals": "SELECT 1",
    }
