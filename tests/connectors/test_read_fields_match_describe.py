"""The drift guard compares the fields a sync reads with the fields review knows; for that to mean anything,
every field a connector reads must be one that 'Suggest mappings' offers for review under the same name."""

import pytest

from connectors.hubspot import HubSpotConnector
from connectors.salesforce import SalesforceConnector
from services.field_drift import present_fields
from services.suggestions import source_fields
from tests.connectors.conftest import sf_login


@pytest.mark.parametrize("object_name", ["Opportunity", "ARR_Movement__c"])
def test_every_salesforce_field_read_is_a_field_offered_for_review(sf_sandbox, object_name):
    connector = SalesforceConnector(*sf_login(sf_sandbox), source_key="salesforce")
    described = next(o for o in connector.describe() if o.name == object_name)
    offered = {f.name for f in source_fields("salesforce", described)}
    read = present_fields(connector.read(object_name))
    assert len(read) > 5 and set(read) <= offered


def test_every_hubspot_deal_property_read_is_a_field_offered_for_review(hs_sandbox):
    connector = HubSpotConnector(
        {"host": hs_sandbox.url}, {"access_token": hs_sandbox.portal.token}, source_key="hubspot"
    )
    described = next(o for o in connector.describe() if o.name == "deals")
    offered = {f.name for f in source_fields("hubspot", described)}
    read = present_fields(connector.read("deals"))
    assert len(read) > 5 and set(read) <= offered
