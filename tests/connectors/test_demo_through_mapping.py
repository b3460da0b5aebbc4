"""The demo org read through Salesforce and the shipped demo mapping: only the planted rows quarantine."""

from pathlib import Path

import polars as pl
import pytest

from connectors.salesforce import SalesforceConnector
from domain.config import PROJECT_ROOT
from domain.mapping_config import from_yaml
from domain.stage_set import default_stage_set
from domain.transform import transform
from sandbox.demo_data import DemoSpec, generate
from sandbox.demo_org import demo_salesforce_org
from sandbox.salesforce import SalesforceSandbox

MAPPING = from_yaml(Path(PROJECT_ROOT / "docs" / "demo-mapping.yaml").read_text())


@pytest.mark.parametrize("index", [0, 1], ids=["Opportunity", "ARR_Movement__c"])
def test_demo_mapping_lands_all_but_the_planted_bad_rows(index):
    data = generate(DemoSpec())
    org = demo_salesforce_org(data=data)
    obj = MAPPING.objects[index]
    with SalesforceSandbox(org) as sandbox:
        connector = SalesforceConnector(
            {"api_base_url": sandbox.url},
            {"username": org.username, "password": org.password, "security_token": org.security_token},
            source_key=obj.source,
        )
        frame = connector.read(obj.object_name)
        accounts = connector.read("Account")
    crosswalk = accounts.select(pl.col("Id").alias("source_account_id")).with_row_index("account_id", offset=1)
    result = transform(frame, obj, MAPPING, default_stage_set(), crosswalk.cast({"account_id": pl.Int64}))
    planted = {
        b["id"] for b in data["truth"]["bad_rows"] if b["object"] == {0: "opportunities", 1: "arr_movements"}[index]
    }
    assert set(result.quarantine["source_id"]) == planted
    assert result.canonical.height == frame.height - len(planted)
    if index == 0:
        assert result.canonical["owner"].str.ends_with("@demo-revenue.example").all()


def test_15_character_account_ids_in_a_text_field_resolve_to_the_reconciled_accounts():
    """A custom text field holding 15-character IDs (as report exports and formula fields write them) is the
    ARR object's account key: every row finds the account its 18-character ID was reconciled as."""
    from dataclasses import replace

    from domain.mapping_config import FieldMap
    from sandbox.salesforce import SField

    data = generate(DemoSpec(seed=5, accounts=80, opportunities=50, movements=400))
    org = demo_salesforce_org(data=data)
    movements = org.objects["ARR_Movement__c"]
    movements.fields.append(SField("Account_Id_15__c", "string", "Account Id (15)"))
    for record in movements.records:
        record["Account_Id_15__c"] = record["Account__c"][:15] if record["Account__c"] else None
    arr = MAPPING.objects[1]
    obj = replace(
        arr,
        fields=tuple(
            FieldMap("Account_Id_15__c", "account", f.type) if f.canonical_field == "account" else f for f in arr.fields
        ),
    )
    with SalesforceSandbox(org) as sandbox:
        connector = SalesforceConnector(
            {"api_base_url": sandbox.url},
            {"username": org.username, "password": org.password, "security_token": org.security_token},
            source_key=obj.source,
        )
        frame = connector.read(obj.object_name)
        accounts = connector.read("Account")
    assert frame["Account_Id_15__c"].drop_nulls().str.len_chars().eq(15).all()
    crosswalk = accounts.select(pl.col("Id").alias("source_account_id")).with_row_index("account_id", offset=1)
    result = transform(frame, obj, MAPPING, default_stage_set(), crosswalk.cast({"account_id": pl.Int64}))
    by_18 = transform(frame, arr, MAPPING, default_stage_set(), crosswalk.cast({"account_id": pl.Int64}))
    unreconciled = pl.col("reason_code") == "unreconciled_account"
    # Only the row the demo planted with an account that does not exist stays unreconciled.
    assert (
        result.quarantine.filter(unreconciled)["source_id"].to_list()
        == by_18.quarantine.filter(unreconciled)["source_id"].to_list()
        == [
            b["id"]
            for b in data["truth"]["bad_rows"]
            if b["object"] == "arr_movements" and b["reason"] == "unreconciled_account"
        ]
    )
    assert result.canonical.height == by_18.canonical.height > 300
    assert result.canonical.sort("source_id")["account_id"].equals(by_18.canonical.sort("source_id")["account_id"])
