"""What a user enters to connect each kind of source: one description the Connect page renders.

Every value is either a setting (stored as JSON, shown back) or a secret (encrypted at rest, never
shown back). Validation names the field that is missing or wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.errors import ValidationError
from domain.source_kinds import SourceKind


@dataclass(frozen=True)
class SettingField:
    key: str
    label: str
    secret: bool = False
    required: bool = False
    help: str = ""
    default: str = ""
    widget: str = "text"  # text | password | select | textarea
    options: tuple[str, ...] = ()
    when: dict[str, str] = field(default_factory=dict)  # shown and required only when other fields match


SALESFORCE_AUTH = ("password", "session", "client_credentials")

CONNECTION_FIELDS: dict[SourceKind, tuple[SettingField, ...]] = {
    SourceKind.SALESFORCE: (
        SettingField(
            "auth",
            "Login method",
            widget="select",
            options=SALESFORCE_AUTH,
            default="password",
            help="password: user + password + security token; session: session id + instance URL; "
            "client_credentials: a connected app on your My Domain.",
        ),
        SettingField(
            "domain",
            "Login domain",
            default="login",
            help="login (production), test (sandbox org) or your My Domain, e.g. acme.my",
        ),
        SettingField("username", "Username", required=True, when={"auth": "password"}),
        SettingField("password", "Password", secret=True, required=True, widget="password", when={"auth": "password"}),
        SettingField(
            "security_token",
            "Security token",
            secret=True,
            widget="password",
            when={"auth": "password"},
            help="Leave empty if your IP range is trusted.",
        ),
        SettingField(
            "instance_url",
            "Instance URL",
            required=True,
            when={"auth": "session"},
            help="e.g. https://acme.my.salesforce.com",
        ),
        SettingField(
            "session_id", "Session id", secret=True, required=True, widget="password", when={"auth": "session"}
        ),
        SettingField(
            "consumer_key",
            "Consumer key",
            secret=True,
            required=True,
            widget="password",
            when={"auth": "client_credentials"},
        ),
        SettingField(
            "consumer_secret",
            "Consumer secret",
            secret=True,
            required=True,
            widget="password",
            when={"auth": "client_credentials"},
        ),
        SettingField(
            "api_base_url",
            "API base URL (optional)",
            help="Send every request here instead: a proxy, or a local Salesforce sandbox.",
        ),
    ),
    SourceKind.HUBSPOT: (
        SettingField(
            "access_token",
            "Private app token",
            secret=True,
            required=True,
            widget="password",
            help="Settings → Integrations → Private apps; scopes crm.objects.deals/companies/owners.read.",
        ),
        SettingField(
            "host",
            "API host",
            default="https://api.hubapi.com",
            help="Change only for a proxy or a local HubSpot sandbox.",
        ),
    ),
    SourceKind.FILE: (
        SettingField(
            "path",
            "Folder with CSV / Parquet files",
            required=True,
            help="Each file is one object, e.g. opportunities.csv. Or upload the files below instead.",
        ),
    ),
    SourceKind.WAREHOUSE: (
        SettingField(
            "database_url",
            "Database URL",
            secret=True,
            required=True,
            widget="password",
            help="Any SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db",
        ),
        SettingField(
            "queries",
            "Queries (one per line: name: SQL)",
            required=True,
            widget="textarea",
            help="e.g. arr_movements: SELECT * FROM finance.arr_events",
        ),
    ),
}


def visible_fields(kind: SourceKind, values: dict[str, Any]) -> tuple[SettingField, ...]:
    """The fields that apply given the values chosen so far (e.g. only the chosen login method's)."""

    def applies(f: SettingField) -> bool:
        return all((values.get(k) or _default(kind, k)) == v for k, v in f.when.items())

    return tuple(f for f in CONNECTION_FIELDS[kind] if applies(f))


def _default(kind: SourceKind, key: str) -> str:
    return next((f.default for f in CONNECTION_FIELDS[kind] if f.key == key), "")


def split_settings(kind: SourceKind, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate what the user entered and split it into (settings, secrets)."""
    settings: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for f in visible_fields(kind, values):
        value = str(values.get(f.key) or "").strip() or f.default
        if f.required and not value:
            raise ValidationError(f"{f.label}: this field is required.")
        if not value:
            continue
        if f.key == "queries":
            settings["queries"] = parse_queries(value)
        elif f.secret:
            secrets[f.key] = value
        else:
            settings[f.key] = value
    if (
        kind == SourceKind.SALESFORCE
        and settings.get("auth") == "client_credentials"
        and settings.get("domain", "login") in {"login", "test"}
    ):
        raise ValidationError("Login domain: client credentials need your My Domain (e.g. acme.my), not login/test.")
    for key in ("api_base_url", "instance_url", "host"):
        if key in settings and not str(settings[key]).startswith(("http://", "https://")):
            label = next(f.label for f in CONNECTION_FIELDS[kind] if f.key == key)
            raise ValidationError(f"{label}: start with https:// (or http:// for a local sandbox).")
    return settings, secrets


def parse_queries(text: str) -> dict[str, str]:
    """'name: SQL' lines -> {name: SQL}; a line without a name is refused with its number."""
    queries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, sql = line.partition(":")
        if not sep or not name.strip().isidentifier() or not sql.strip():
            raise ValidationError(f"Queries, line {number}: write it as `name: SELECT …`.")
        queries[name.strip()] = sql.strip()
    return queries
