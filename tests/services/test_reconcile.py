"""Reconciliation by CRM ID on both databases: renames keep their account, parents link, all audited."""

import polars as pl

from services.reconcile import reconcile_by_id
from services.startup import start
from storage.accounts import account_count, accounts_overview, load_crosswalk
from storage.audit import recent
from storage.db import session_scope


def _accounts(names: dict[str, str], parents: dict[str, str] | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source_account_id": list(names),
            "name": list(names.values()),
            "parent_source_id": [(parents or {}).get(i) for i in names],
        },
        schema={"source_account_id": pl.String, "name": pl.String, "parent_source_id": pl.String},
    )


def test_a_renamed_account_stays_one_canonical_account(settings):
    engine = start(settings)
    with session_scope(engine) as session:
        first = reconcile_by_id(
            session,
            1,
            "crm",
            _accounts({"001A": "Acme Corp", "001B": "Acme Europe GmbH"}, {"001B": "001A"}),
            actor="dana",
        )
    assert (first.created, first.renamed) == (2, 0)
    before = load_crosswalk(engine, 1)
    with session_scope(engine) as session:
        second = reconcile_by_id(
            session,
            1,
            "crm",
            _accounts({"001A": "Acme Holdings", "001B": "Acme Europe GmbH", "001C": "Globex"}),
            actor="dana",
        )
        assert account_count(session, 1) == 3
        assert recent(session, 1)[0].action == "reconcile"
    assert (second.created, second.renamed, second.unchanged) == (1, 1, 1)
    assert second.renames == [("001A", "Acme Corp", "Acme Holdings")]
    after = load_crosswalk(engine, 1)
    assert (
        after.filter(pl.col("source_account_id") == "001A")["account_id"].item()
        == before.filter(pl.col("source_account_id") == "001A")["account_id"].item()
    )
    overview = accounts_overview(engine, 1)
    row = overview.filter(pl.col("CRM ID") == "001B").to_dicts()[0]
    assert row["Parent account"] == "Acme Holdings" and row["Matched by"] == "rule: same CRM ID"
    assert set(overview["Account"]) == {"Acme Holdings", "Acme Europe GmbH", "Globex"}
    assert set(overview["Source"]) == {"crm"}  # no connection named for this key: the key is shown
