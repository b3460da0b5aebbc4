"""A workspace whose ARR comes from contracts, as a user opens it: every page renders, the Revenue bridge has the
derived movements, and step 3's suggestions do not offer movement fields for the contract object (issue 22)."""

from domain.config import load_settings
from domain.roles import system_access
from services.connections import check_connection
from services.sync import run_sync
from storage.connections import list_connections
from storage.db import session_scope
from tests.pages.conftest import texts
from tests.services.sync.test_arr_from_contracts import _workspace, _write_contracts, contracts_export


def test_every_page_of_a_contracts_workspace_renders_and_revenue_shows_the_derived_arr(open_page, env, tmp_path):
    settings = load_settings(env)
    folder = tmp_path / "export"
    folder.mkdir()
    accounts = contracts_export(folder)
    stamp = "2025-01-05T10:00:00.000+0000"
    _write_contracts(
        folder,
        accounts,
        [
            ("K1", 0, "2024-01-01", "2024-12-31", "", "1000", "USD", stamp),
            ("K2", 0, "2025-01-01", "", "12", "1500", "USD", stamp),
        ],
    )
    engine, ws = _workspace(settings, folder)
    with session_scope(engine) as session:  # tested, as the Connect page would have done
        for connection in list_connections(session, ws):
            check_connection(session, connection.id, settings, access=system_access("t"))
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    for key in ("domains", "mapping", "reconcile", "sync", "pipelines", "revenue", "exports"):
        at = open_page(key, ws="Contracts")
        assert not at.exception, (key, at.exception)
    at = open_page("revenue", ws="Contracts")
    assert "ARR bridge" in [t.label for t in at.tabs]
    at = open_page("mapping", ws="Contracts")
    assert not at.exception and "**Canonical fields to fill** (ARR from contracts)" in texts(at)
    assert any("Contract start" in set(frame.value["Field"]) for frame in at.dataframe if "Field" in frame.value)

    # The object read as contracts is offered the contract fields, not movement fields.
    next(b for b in at.button if b.label in ("Suggest mappings", "Refresh suggestions")).click().run()
    assert not at.exception
    fields = at.data_editor(key="review_field_editor").value
    offered = dict(
        zip(
            fields[fields["object"] == "contracts"]["CRM field"],
            fields[fields["object"] == "contracts"]["target"],
            strict=True,
        )
    )
    assert offered == {
        "AccountId": "Account",
        "StartDate": "Contract start",
        "EndDate": "Contract end",
        "TermMonths": "Term (months)",
        "MonthlyFee": "Recurring amount",
        "CurrencyIsoCode": "Currency",
        "Id": "(nothing)",
        "LastModifiedDate": "(nothing)",
        "IsDeleted": "(nothing)",
    }
    # Approving the deal fields and putting them in force keeps the contract object as it is.
    next(b for b in at.button if b.label.startswith("Accept all") and not b.disabled).click().run()
    at.button(key="apply_approved").click().run()
    assert not at.exception
    from storage.mappings import latest_mapping

    with session_scope(engine) as session:
        version, config = latest_mapping(session, ws)
    assert version.version == 2 and [o.object_name for o in config.objects if o.from_contracts] == ["contracts"]
