"""The canonical tables carry no per-row foreign keys (migration 0020): a run's rows are checked once, as a set,
before anything is written. An account of another workspace, an account that does not exist or a run of another
workspace stops the write with a message, on SQLite and PostgreSQL, and the migration keeps every row both ways."""

import polars as pl
import pytest
from alembic import command
from sqlalchemy import func, select, text

from domain.canonical import Domain
from domain.errors import BrokenReference
from storage.canonical_rows import CanonicalRows
from storage.db import open_database, session_scope
from storage.frames import table_schema
from storage.sync_runs import try_start_run
from storage.tables import CanonicalAccount, Opportunity
from storage.workspaces import create_workspace
from tests.storage.older_schema import workspace_at_revision


@pytest.fixture
def engine(settings):
    engine = open_database(settings)
    yield engine
    engine.dispose()


def _deals(account_ids: list[int | None]) -> pl.DataFrame:
    n = len(account_ids)
    frame = pl.DataFrame(
        {
            "source": ["salesforce"] * n,
            "source_object": ["Opportunity"] * n,
            "source_id": [f"006{i:015d}" for i in range(n)],
            "name": [f"Deal {i}" for i in range(n)],
            "account_id": pl.Series(account_ids, dtype=pl.Int64),
            "stage": ["Proposal"] * n,
            "weight": [0.6] * n,
            "amount": [1000.0] * n,
            "currency": ["USD"] * n,
            "amount_reporting": [1000.0] * n,
            "weighted_amount": [600.0] * n,
        }
    )
    schema = table_schema("opportunities")
    return frame.with_columns(pl.lit(None, dtype=schema[c]).alias(c) for c in schema if c not in frame.columns)


def _two_workspaces(engine) -> tuple[int, int, int, int, int]:
    """(workspace, its account, its run, the other workspace's account, the other workspace's run)."""
    ids = []
    for name in ("Acme", "Globex"):
        with session_scope(engine) as session:
            workspace_id = create_workspace(session, name, actor="t").id
            account = CanonicalAccount(workspace_id=workspace_id, name=f"{name} customer")
            session.add(account)
            session.flush()
            ids.append((workspace_id, account.id))
        run = try_start_run(engine, workspace_id, trigger="test", dry_run=False)
        assert run is not None
        ids[-1] += (run.id,)
    (workspace, account, run), (_, other_account, other_run) = ids
    return workspace, account, run, other_account, other_run


def _apply(engine, workspace_id: int, run_id: int, deals: pl.DataFrame) -> None:
    with session_scope(engine) as session:
        CanonicalRows(session).apply(
            workspace_id, Domain.PIPELINE, run_id, upserts=deals, replaced_ids=[], tombstone_ids=[]
        )


def _stored(engine, workspace_id: int) -> int:
    with session_scope(engine) as session:
        return session.execute(
            select(func.count()).select_from(Opportunity).where(Opportunity.workspace_id == workspace_id)
        ).scalar_one()


def test_rows_pointing_to_accounts_of_the_workspace_or_to_none_are_written(engine):
    workspace, account, run, _, _ = _two_workspaces(engine)
    _apply(engine, workspace, run, _deals([account, None, account]))
    assert _stored(engine, workspace) == 3


@pytest.mark.parametrize("which", ["account of another workspace", "account that does not exist"])
def test_a_row_pointing_outside_the_workspace_stops_the_write(engine, which):
    workspace, account, run, other_account, _ = _two_workspaces(engine)
    stray = other_account if which == "account of another workspace" else other_account + 1000
    with pytest.raises(BrokenReference, match=f"first: #{stray}"):
        _apply(engine, workspace, run, _deals([account] * 20_000 + [stray, None]))
    assert _stored(engine, workspace) == 0


def test_a_run_of_another_workspace_stops_the_write(engine):
    workspace, account, _, _, other_run = _two_workspaces(engine)
    with pytest.raises(BrokenReference, match=f"#{other_run} is not a run of this workspace"):
        _apply(engine, workspace, other_run, _deals([account]))
    assert _stored(engine, workspace) == 0


def test_the_migration_keeps_every_row_both_ways(settings):
    engine, config = workspace_at_revision(settings, "0019")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO canonical_account (workspace_id, name, created_at) VALUES (1, 'Ünïcode AG', CURRENT_TIMESTAMP)"
            )
        )
        for i in range(3):
            connection.execute(
                text(
                    "INSERT INTO opportunity (workspace_id, source, source_object, source_id, account_id, amount, "
                    "is_deleted) VALUES (1, 's', 'Opportunity', :id, 1, 5000, false)"
                ),
                {"id": f"o{i}"},
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM opportunity WHERE account_id = 1")).scalar_one() == 3
    command.downgrade(config, "0019")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM opportunity WHERE account_id = 1")).scalar_one() == 3
    engine.dispose()
