"""Shared fixtures: isolated data folders and databases (SQLite file and a fresh PostgreSQL database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from domain.config import Settings, load_settings
from domain.roles import system_access

PG_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_admin():
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(PG_SERVER)
    return psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        dbname=url.database,
        password=url.password,
        autocommit=True,
        connect_timeout=3,
    )


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A brand-new PostgreSQL database for one test, dropped afterwards.

    Outside CI the test is skipped when no server answers; in CI a missing server is a failure.
    """
    from sqlalchemy.engine import make_url

    try:
        admin = _pg_admin()
    except Exception as exc:  # noqa: BLE001 - any connection problem means "no server here"
        if IN_CI:
            pytest.fail(f"PostgreSQL must be reachable in CI at {PG_SERVER}: {exc}")
        pytest.skip(f"no PostgreSQL server at {PG_SERVER}")
    name = f"rc_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """Environment for an isolated installation: its own data folder, SQLite by default."""
    data = tmp_path / "data"
    data.mkdir()
    return {"REVENUE_CONNECTOR_DATA": str(data)}


@pytest.fixture
def cli(env):
    """cli('sync', '--workspace', 'Demo') runs `python -m core …` as a script would, in the isolated installation;
    cli(…, extra_env={'SF_PASSWORD': …}) adds environment variables for that call."""
    import subprocess
    import sys

    from domain.config import PROJECT_ROOT

    def run(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "core", *args],
            cwd=PROJECT_ROOT,
            env={**env, "PATH": "/usr/bin", **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )

    run.env = env
    return run


@pytest.fixture(params=["sqlite", "postgresql"])
def db_env(request, env) -> dict[str, str]:
    """The same environment once on SQLite and once on PostgreSQL."""
    if request.param == "postgresql":
        env = {**env, "DATABASE_URL": request.getfixturevalue("pg_url")}
    return env


@pytest.fixture
def settings(db_env) -> Settings:
    return load_settings(db_env)


def file_workspace(
    settings: Settings,
    folder,
    *,
    name: str = "Acme",
    seed: int = 21,
    write_export: bool = True,
    arr_object: str = "arr_movements",
    mapping: str | None = None,
):
    """A workspace on a small demo export (file source 'demo'), routed, mapped and reconciled: (engine, id).

    `write_export=False` uses the export already in `folder`; `arr_object` and `mapping` (YAML text) route ARR
    actuals to another object of it, mapped as given."""
    from domain.canonical import Domain
    from domain.config import PROJECT_ROOT
    from domain.routing import RouteChoice
    from domain.source_kinds import SourceKind
    from sandbox.demo_data import DemoSpec, write_demo
    from services.reconcile import reconcile_accounts
    from services.startup import start
    from storage.connections import create_connection
    from storage.db import session_scope
    from storage.mappings import save_mapping
    from storage.routing import save_routes
    from storage.workspaces import create_workspace

    engine = start(settings)
    if write_export:
        write_demo(DemoSpec(seed=seed, accounts=80, opportunities=300, movements=200), folder)
    with session_scope(engine) as session:
        ws = create_workspace(session, name, actor="t")
        conn = create_connection(
            session,
            ws.id,
            name="demo",
            kind=SourceKind.FILE,
            settings={"path": str(folder)},
            secrets=None,
            box=None,
            actor="t",
        )
        save_routes(session, ws.id, Domain.PIPELINE, [RouteChoice(conn.id, "opportunities")], actor="t")
        save_routes(session, ws.id, Domain.ARR_ACTUALS, [RouteChoice(conn.id, arr_object)], actor="t")
        mapping = mapping or (PROJECT_ROOT / "docs" / "demo-export-mapping.yaml").read_text()
        save_mapping(session, ws.id, mapping, actor="t")
        reconcile_accounts(session, conn.id, "accounts", settings, access=system_access("t"))
    return engine, ws.id


def salesforce_workspace(settings: Settings, sandbox, *, name: str = "Acme", arr: bool = False):
    """A workspace on a Salesforce sandbox org (the demo org's objects), routed, mapped with the demo mapping and
    reconciled: (engine, id). `arr` routes ARR_Movement__c too."""
    from domain.canonical import Domain
    from domain.config import PROJECT_ROOT
    from domain.routing import RouteChoice
    from domain.source_kinds import SourceKind
    from services.connections import check_connection
    from services.reconcile import reconcile_accounts
    from services.startup import start
    from storage.connections import create_connection
    from storage.db import session_scope
    from storage.mappings import save_mapping
    from storage.routing import save_routes
    from storage.secret_box import secret_box
    from storage.workspaces import create_workspace

    engine = start(settings)
    org = sandbox.org
    with session_scope(engine) as session:
        ws = create_workspace(session, name, actor="t")
        conn = create_connection(
            session,
            ws.id,
            name="Salesforce",
            kind=SourceKind.SALESFORCE,
            settings={"api_base_url": sandbox.url, "auth": "password", "username": org.username},
            secrets={"password": org.password, "security_token": org.security_token},
            box=secret_box(settings),
            actor="t",
        )
        save_routes(session, ws.id, Domain.PIPELINE, [RouteChoice(conn.id, "Opportunity")], actor="t")
        if arr:
            save_routes(session, ws.id, Domain.ARR_ACTUALS, [RouteChoice(conn.id, "ARR_Movement__c")], actor="t")
        mapping = (PROJECT_ROOT / "docs" / "demo-mapping.yaml").read_text()
        save_mapping(session, ws.id, mapping.replace("demo_crm_salesforce_sandbox", conn.source_key), actor="t")
        reconcile_accounts(session, conn.id, "Account", settings, access=system_access("t"))
        check_connection(session, conn.id, settings, access=system_access("t"))
    return engine, ws.id
