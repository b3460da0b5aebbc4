"""Workspaces, stages, connections (encrypted secrets), routing, audit and table reads on both databases."""

import json

import polars as pl
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from domain.canonical import Domain
from domain.errors import SecretKeyError, ValidationError
from domain.roles import system_access
from domain.routing import RouteChoice
from domain.source_kinds import SourceKind
from domain.stage_set import stages_from_rows
from services.connections import check_connection
from storage.audit import recent
from storage.connections import connection_secrets, create_connection, delete_connection, list_connections
from storage.db import open_database, session_scope
from storage.frames import WORKSPACE_TABLES, read_workspace_table, table_schema
from storage.progress import setup_facts
from storage.routing import load_routes, save_routes
from storage.secret_box import SecretBox, redact, secret_box
from storage.workspaces import create_workspace, load_stage_set, save_stage_set

ACTOR = "dana@finance"


@pytest.fixture
def engine(settings):
    engine = open_database(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def workspace_id(engine):
    with session_scope(engine) as session:
        return create_workspace(session, "Acme", actor=ACTOR).id


def test_new_workspace_gets_the_default_stages_and_an_audit_entry(engine, workspace_id):
    with session_scope(engine) as session:
        assert [s.key for s in load_stage_set(session, workspace_id)][-2:] == ["closed_won", "closed_lost"]
        (entry,) = recent(session, workspace_id)
        assert (entry.actor, entry.action, entry.entity) == (ACTOR, "create", "workspace")


@pytest.mark.parametrize(
    ("name", "currency", "message"),
    [
        ("Acme", "USD", "already taken"),
        (" ", "USD", "enter a name"),
        ("Beta", "US", "3-letter ISO code"),
    ],
)
def test_workspace_input_errors_name_the_field(engine, workspace_id, name, currency, message):
    with pytest.raises(ValidationError, match=message), session_scope(engine) as session:
        create_workspace(session, name, actor=ACTOR, reporting_currency=currency)


def test_stage_set_changes_are_saved_in_order_and_audited(engine, workspace_id):
    with session_scope(engine) as session:
        rows = [
            {"key": s.key, "label": s.label, "weight": s.weight, "order": s.order}
            for s in load_stage_set(session, workspace_id)
        ]
        rows.insert(2, {"key": "", "label": "Security review", "weight": 0.3, "order": 2.5})
        save_stage_set(session, workspace_id, stages_from_rows(rows), actor=ACTOR)
    with session_scope(engine) as session:
        stages = load_stage_set(session, workspace_id)
        assert [s.key for s in stages][:4] == ["prospecting", "qualification", "security_review", "evaluation"]
        entry = recent(session, workspace_id)[0]
        assert entry.entity == "stage_set" and "security_review" in entry.detail_json


def test_connection_secrets_are_encrypted_at_rest_and_never_audited(engine, workspace_id, settings):
    box = secret_box(settings)
    with session_scope(engine) as session:
        connection = create_connection(
            session,
            workspace_id,
            name="Salesforce prod",
            kind=SourceKind.SALESFORCE,
            settings={"login_domain": "login"},
            secrets={"password": "hunter2-very-secret", "token": "T0KEN-123"},
            box=box,
            actor=ACTOR,
        )
        connection_id = connection.id
    with engine.connect() as raw:
        stored = raw.execute(text("SELECT secrets_encrypted, settings_json FROM connection")).one()
        audit_text = " ".join(r[0] for r in raw.execute(text("SELECT detail_json FROM audit_log")))
    assert "hunter2" not in stored[0] and "T0KEN" not in stored[0] and "hunter2" not in stored[1]
    assert "hunter2" not in audit_text and "password" in audit_text  # the key is named, the value is not
    with session_scope(engine) as session:
        (connection,) = [c for c in list_connections(session, workspace_id) if c.id == connection_id]
        assert "hunter2" not in repr(connection)
        assert connection_secrets(connection, box) == {"password": "hunter2-very-secret", "token": "T0KEN-123"}
        with pytest.raises(SecretKeyError, match="cannot be decrypted"):
            connection_secrets(connection, SecretBox(Fernet.generate_key()))
    assert redact("hunter2-very-secret") == "••••cret"


def test_the_key_file_is_created_once_with_owner_only_permissions(settings):
    if settings.secret_key:
        pytest.skip("key comes from the environment")
    first = secret_box(settings).seal({"a": "b"})
    assert (settings.secret_key_file.stat().st_mode & 0o777) == 0o600
    assert secret_box(settings).open(first) == {"a": "b"}


def test_routing_replaces_a_domain_in_priority_order(engine, workspace_id, tmp_path, settings):
    with session_scope(engine) as session:
        crm = create_connection(
            session,
            workspace_id,
            name="CRM export",
            kind=SourceKind.FILE,
            settings={"path": str(tmp_path)},
            secrets=None,
            box=None,
            actor=ACTOR,
        )
        warehouse = create_connection(
            session,
            workspace_id,
            name="Warehouse",
            kind=SourceKind.FILE,
            settings={"path": str(tmp_path)},
            secrets=None,
            box=None,
            actor=ACTOR,
        )
        save_routes(
            session,
            workspace_id,
            Domain.PIPELINE,
            [RouteChoice(crm.id, "opportunities"), RouteChoice(warehouse.id, "deals")],
            actor=ACTOR,
        )
        save_routes(session, workspace_id, Domain.ARR_ACTUALS, [RouteChoice(warehouse.id, "arr")], actor=ACTOR)
        save_routes(
            session,
            workspace_id,
            Domain.PIPELINE,
            [RouteChoice(warehouse.id, "deals"), RouteChoice(crm.id, "opportunities")],
            actor=ACTOR,
        )
    with session_scope(engine) as session:
        routes = load_routes(session, workspace_id)
        assert [(r.object_name, r.priority) for r in routes[Domain.PIPELINE]] == [("deals", 1), ("opportunities", 2)]
        assert [r.object_name for r in routes[Domain.ARR_ACTUALS]] == ["arr"]
        assert setup_facts(session, workspace_id).routed_domains == frozenset(Domain)
        with pytest.raises(ValidationError, match="listed twice"):
            save_routes(
                session,
                workspace_id,
                Domain.PIPELINE,
                [RouteChoice(crm.id, "opportunities"), RouteChoice(crm.id, "opportunities")],
                actor=ACTOR,
            )
        with pytest.raises(ValidationError, match="still used by a domain route"):
            delete_connection(session, crm.id, actor=ACTOR)


def test_connection_test_result_counts_for_the_wizard(engine, workspace_id, tmp_path, settings):
    (tmp_path / "deals.csv").write_text("Id,Amount\n1,10\n")
    with session_scope(engine) as session:
        good = create_connection(
            session,
            workspace_id,
            name="Good",
            kind=SourceKind.FILE,
            settings={"path": str(tmp_path)},
            secrets=None,
            box=None,
            actor=ACTOR,
        )
        bad = create_connection(
            session,
            workspace_id,
            name="Bad",
            kind=SourceKind.FILE,
            settings={"path": str(tmp_path / "missing")},
            secrets=None,
            box=None,
            actor=ACTOR,
        )
        assert check_connection(session, good.id, settings, access=system_access(ACTOR)).ok
        failed = check_connection(session, bad.id, settings, access=system_access(ACTOR))
        assert not failed.ok and "does not exist" in failed.headline
    with session_scope(engine) as session:
        facts = setup_facts(session, workspace_id)
        assert (facts.connections, facts.connections_ok) == (2, 1)
        delete_connection(session, bad.id, actor=ACTOR)
        assert [c.name for c in list_connections(session, workspace_id)] == ["Good"]


def test_every_export_table_reads_typed_even_when_empty(engine, workspace_id):
    for name in WORKSPACE_TABLES:
        frame = read_workspace_table(engine, name, workspace_id)
        assert frame.schema == pl.Schema(table_schema(name))
    audit = read_workspace_table(engine, "audit", workspace_id)
    assert audit.height == 1 and json.loads(audit["detail_json"][0])["name"] == "Acme"
    assert audit.schema["at"] == pl.Datetime("us", "UTC")
