"""The demo org read through Salesforce and the shipped demo mapping: only the planted rows quarantine."""

from pathlib import Path

import polars as pl
import pytest

from core.config import PROJECT_ROOT
from core.connectors.salesforce import SalesforceConnector
from core.demo import DemoSpec, generate
from core.mapping_config import from_yaml
from core.stages import default_stage_set
from core.transform import transform
from sandbox.demo_org import demo_salesforce_org
from sandbox.salesforce import SalesforceSandbox

MAPPING = from_yaml(Path(PROJECT_ROOT / "docs" / "demo-mapping.yaml").read_text())


@pytest.mark.parametrize("index", [0, 1], ids=["Opportunity", "ARR_Movement__c"])
def test_demo_mapping_lands_all_but_the_planted_bad_rows(index):
    data = generate(DemoSpec())
    org = demo_salesforce_org(data=data)
    obj = MAPPING.objects[index]
    with SalesforceSandbox(org) as sandbox:
        connector = SalesforceConnector({"api_base_url": sandbox.url},
                                        {"username": org.username, "password": org.password,
                                         "security_token": org.security_token}, source_key=obj.source)
        frame = connector.read(obj.object_name)
        accounts = connector.read("Account")
    crosswalk = accounts.select(pl.col("Id").alias("source_account_id")).with_row_index("account_id", offset=1)
    result = transform(frame, obj, MAPPING, default_stage_set(), crosswalk.cast({"account_id": pl.Int64}))
    planted = {b["id"] for b in data["truth"]["bad_rows"]
               if b["object"] == {0: "opportunities", 1: "arr_movements"}[index]}
    assert set(result.quarantine["source_id"]) == planted
    assert result.canonical.height == frame.height - len(planted)
    if index == 0:
        assert result.canonical["owner"].str.ends_with("@demo-revenue.example").all()
