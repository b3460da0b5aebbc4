"""Salesforce connector against the local sandbox, through the unchanged simple-salesforce client."""

from datetime import UTC, datetime

import polars as pl
import pytest

from connectors.forms import split_settings
from connectors.salesforce import SalesforceConnector, soql_in_filter
from domain.errors import CredentialsError, QuotaExhausted, SourceUnavailable
from domain.source_kinds import SourceKind
from sandbox.demo_data import DemoSpec, generate
from sandbox.demo_org import demo_salesforce_org
from sandbox.salesforce import SalesforceSandbox
from tests.connectors.conftest import sf_login


def _connector(sandbox, **settings) -> SalesforceConnector:
    config, secrets = sf_login(sandbox, **settings)
    return SalesforceConnector(config, secrets, source_key="salesforce")


def _expected(sandbox, object_name: str, columns: list[str]) -> pl.DataFrame:
    """What the org holds, as text the way the connector returns it."""
    rows = [{c: r.get(c) for c in columns} for r in sandbox.records(object_name)]
    frame = pl.DataFrame(rows, infer_schema_length=None).with_columns(pl.all().cast(pl.String))
    return frame.with_columns(pl.when(pl.all() == "").then(None).otherwise(pl.all()).name.keep())


def test_25000_opportunities_over_13_pages_arrive_exactly_once_and_equal_the_org():
    org = demo_salesforce_org(data=generate(DemoSpec(seed=9, accounts=400, opportunities=25_000, movements=50)))
    with SalesforceSandbox(org) as sandbox:
        connector = _connector(sandbox, page_size=2000)
        frame = connector.read("Opportunity")
        pages = [p for m, p in sandbox.requests if "/query/01g" in p]
    assert len(pages) + 1 >= 13
    assert frame.height == 25_000 and frame["Id"].n_unique() == 25_000
    columns = [
        "Id",
        "Name",
        "AccountId",
        "StageName",
        "Amount",
        "CurrencyIsoCode",
        "CloseDate",
        "OwnerId",
        "Segment__c",
    ]
    expected = _expected(sandbox, "Opportunity", columns).sort("Id")
    assert frame.select(columns).sort("Id").equals(expected)
    names = {a["Id"]: a["Name"] for a in sandbox.records("Account")}
    joined = frame.select("AccountId", "Account.Name").filter(pl.col("AccountId").is_in(list(names)))
    assert joined["Account.Name"].to_list() == [names[i] for i in joined["AccountId"]]


DATETIMES = ["CreatedDate", "LastModifiedDate", "SystemModstamp"]


def test_bulk_api_2_gives_the_same_records_as_rest(sf_sandbox):
    rest = _connector(sf_sandbox).read("Opportunity").sort("Id")
    bulk = _connector(sf_sandbox, bulk_threshold=100).read("Opportunity").sort("Id")
    assert any("/jobs/query" in p for _, p in sf_sandbox.requests)
    # Datetimes are written differently (REST `+0000`, Bulk CSV `Z`); every other value is the same text.
    assert bulk.drop(DATETIMES).equals(rest.drop(DATETIMES))
    assert bulk["SystemModstamp"].str.ends_with("Z").all() and rest["SystemModstamp"].str.ends_with("+0000").all()


def test_bulk_datetimes_written_with_z_keep_the_modification_time(sf_sandbox):
    rest = _connector(sf_sandbox).read("Opportunity").sort("Id")
    bulk = _connector(sf_sandbox, bulk_threshold=100).read("Opportunity").sort("Id")
    # Without it no cursor is saved and every incremental run re-reads the whole object.
    assert bulk["source_modified_at"].null_count() == 0
    assert bulk["source_modified_at"].equals(rest["source_modified_at"])


@pytest.mark.parametrize("auth", ["password", "session", "client_credentials"])
def test_every_auth_mode_connects(sf_sandbox, auth):
    org = sf_sandbox.org
    secrets = {
        "password": {"username": org.username, "password": org.password, "security_token": org.security_token},
        "session": {"session_id": sf_sandbox.issue_session()},
        "client_credentials": {"consumer_key": org.consumer_key, "consumer_secret": org.consumer_secret},
    }[auth]
    settings = {
        "api_base_url": sf_sandbox.url,
        "auth": auth,
        "domain": "acme.my",
        "instance_url": f"https://127.0.0.1:{sf_sandbox.port}",
    }
    check = SalesforceConnector(settings, secrets, source_key="sf").test_connection()
    assert check.ok, check.headline
    assert check.headline.startswith("Connected to Demo Revenue Inc. · ")
    assert "daily API calls left" in check.headline
    assert "Opportunity" in check.details[0] and "ARR_Movement__c" in check.details[0]


def test_a_password_login_entered_in_the_connect_form_connects(sf_sandbox):
    org = sf_sandbox.org
    settings, secrets = split_settings(
        SourceKind.SALESFORCE,
        {
            "auth": "password",
            "domain": "login",
            "username": org.username,
            "password": org.password,
            "security_token": org.security_token,
            "api_base_url": sf_sandbox.url,
        },
    )
    assert settings["username"] == org.username and "username" not in secrets
    check = SalesforceConnector(settings, secrets, source_key="sf").test_connection()
    assert check.ok, check.headline


def test_a_wrong_password_gives_salesforces_own_reason(sf_sandbox):
    config, secrets = sf_login(sf_sandbox)
    check = SalesforceConnector(config, {**secrets, "password": "wrong"}, source_key="sf").test_connection()
    assert not check.ok
    assert check.headline == (
        "Salesforce refused the login: Invalid username, password, security token; or user locked out. (INVALID_LOGIN)"
    )
    assert "{content}" not in check.headline and "security token" in check.details[0]


def test_deleted_records_come_back_as_tombstones_and_ids_as_18_characters(sf_sandbox):
    records = sf_sandbox.records("Opportunity")
    records[0]["IsDeleted"] = True
    records[1]["AccountId"] = records[1]["AccountId"][:15]
    frame = _connector(sf_sandbox).read("Opportunity")
    tomb = frame.filter(pl.col("source_id") == records[0]["Id"])
    assert tomb["is_deleted"].to_list() == [True]
    assert frame.filter(~pl.col("is_deleted")).height == len(records) - 1
    assert (frame["AccountId"].drop_nulls().str.len_chars() == 18).all()


def test_incremental_reads_only_what_changed_since_the_cursor_minus_the_look_back(sf_sandbox):
    cursor = datetime(2026, 6, 1, tzinfo=UTC)
    frame = _connector(sf_sandbox, lookback_minutes=60).read("Opportunity", since=cursor)
    stamps = [r["SystemModstamp"] for r in sf_sandbox.records("Opportunity")]
    expected = sum(
        1
        for s in stamps
        if datetime.fromisoformat(s.replace("+0000", "+00:00")) > datetime(2026, 5, 31, 23, 0, tzinfo=UTC)
    )
    assert 0 < frame.height == expected < len(stamps)
    assert (frame["source_modified_at"] > datetime(2026, 5, 31, 23, 0, tzinfo=UTC)).all()


def test_stages_owners_and_describe(sf_sandbox):
    connector = _connector(sf_sandbox)
    stages = connector.stages()
    won = stages.filter(pl.col("is_won"))["stage_id"].to_list()
    assert sorted(won) == ["Closed Won", "Renewed"]
    assert stages.filter(pl.col("stage_id") == "Contracting")["probability"].item() == pytest.approx(0.8)
    assert stages.filter(pl.col("stage_id") == "Legacy - Technical Eval")["is_active"].item() is False
    owners = connector.owners()
    assert owners.height == 12 and owners["email"].str.ends_with("@demo-revenue.example").all()
    objects = {o.name: o for o in connector.describe()}
    fields = {f.name: f for f in objects["ARR_Movement__c"].fields}
    assert fields["ARR_Change__c"].custom and fields["ARR_Change__c"].type == "currency"
    assert "Upsell" in fields["Movement_Type__c"].picklist_values


def test_filter_values_are_escaped_so_they_cannot_change_the_query(sf_sandbox):
    connector = _connector(sf_sandbox)
    sf = connector._sf()
    hostile = ["x' OR Name != '", "back\\slash"]
    where = soql_in_filter("Name", hostile)
    assert where == "Name IN ('x\\' OR Name != \\'','back\\\\slash')"
    result = sf.query(f"SELECT Id FROM Opportunity WHERE {where}")
    assert result["totalSize"] == 0


def test_a_single_currency_org_is_read_without_currency_iso_code(small_data):
    org = demo_salesforce_org(data=small_data)
    opportunity = org.objects["Opportunity"]
    opportunity.fields = [f for f in opportunity.fields if f.name != "CurrencyIsoCode"]
    with SalesforceSandbox(org) as sandbox:
        frame = _connector(sandbox).read("Opportunity")
    assert "CurrencyIsoCode" not in frame.columns and frame.height == len(opportunity.records)


# --- faults -------------------------------------------------------------------------------------


def test_expired_session_asks_to_re_authorize(sf_sandbox):
    connector = SalesforceConnector(
        {"api_base_url": sf_sandbox.url, "auth": "session", "instance_url": f"https://127.0.0.1:{sf_sandbox.port}"},
        {"session_id": sf_sandbox.issue_session()},
        source_key="sf",
    )
    connector.describe()
    sf_sandbox.expire_sessions()
    with pytest.raises(CredentialsError, match="credential expired or rotated — re-authorize in Connect"):
        connector.read("Opportunity")


def test_with_a_stored_password_an_expired_session_is_renewed_and_the_read_completes(sf_sandbox):
    connector = _connector(sf_sandbox)
    connector.describe()
    sf_sandbox.expire_sessions()
    assert connector.read("Account").height == len(sf_sandbox.records("Account"))


def test_daily_limit_stops_the_read_and_a_rerun_after_the_reset_completes_it(sf_sandbox):
    connector = _connector(sf_sandbox, page_size=200)
    sf_sandbox.org.daily_api_max = sf_sandbox.api_calls + 4  # runs out mid-pagination
    with pytest.raises(QuotaExhausted) as stopped:
        connector.read("Opportunity")
    assert "daily API limit is used up" in stopped.value.user_message
    assert "resumes from the same point" in stopped.value.hint
    sf_sandbox.org.daily_api_max = 1_000_000  # the 24-hour allowance frees up
    frame = connector.read("Opportunity")
    assert frame.height == len(sf_sandbox.records("Opportunity")) and frame["Id"].is_unique().all()


def test_a_server_error_mid_pagination_fails_the_whole_read(sf_sandbox):
    sf_sandbox.inject(
        "status", path_contains="/query/01g", status=500, payload=[{"message": "boom", "errorCode": "SERVER_ERROR"}]
    )
    with pytest.raises(SourceUnavailable, match=r"Opportunity \(page \d\).*nothing from this read was used"):
        _connector(sf_sandbox, page_size=200).read("Opportunity")


def test_a_transient_server_error_is_retried(sf_sandbox):
    fault = sf_sandbox.inject(
        "status",
        path_contains="/query/01g",
        status=503,
        times=1,
        payload=[{"message": "busy", "errorCode": "SERVER_UNAVAILABLE"}],
    )
    frame = _connector(sf_sandbox, page_size=200).read("Opportunity")
    assert fault.hits == 1
    assert frame.height == len(sf_sandbox.records("Opportunity")) and frame["Id"].is_unique().all()


def test_a_dropped_connection_mid_pagination_fails_the_whole_read(sf_sandbox):
    sf_sandbox.inject("drop", path_contains="/query/01g")
    with pytest.raises(SourceUnavailable, match="connection to Salesforce dropped"):
        _connector(sf_sandbox, page_size=200).read("Opportunity")
    sf_sandbox.clear_faults()
    assert _connector(sf_sandbox, page_size=200).read("Opportunity").height == len(sf_sandbox.records("Opportunity"))


def test_malformed_json_names_what_was_being_read(sf_sandbox):
    sf_sandbox.inject("malformed_json", path_contains="/query/01g")
    with pytest.raises(SourceUnavailable, match=r"not valid JSON for Opportunity \(page 2\)"):
        _connector(sf_sandbox, page_size=200).read("Opportunity")


def test_the_orgs_time_zone_comes_from_the_organization_and_defaults_to_utc(small_data):
    org = demo_salesforce_org(data=small_data)
    with SalesforceSandbox(org) as sandbox:
        assert _connector(sandbox).time_zone() == "America/New_York"
        organization = org.objects["Organization"]
        organization.records[0]["TimeZoneSidKey"] = "Not/AZone"
        assert _connector(sandbox).time_zone() == "UTC"
        organization.fields = [f for f in organization.fields if f.name != "TimeZoneSidKey"]
        assert _connector(sandbox).time_zone() == "UTC"  # a proxy that hides the field: dates stay UTC


def test_pipelines_are_record_types_each_with_the_stages_of_its_sales_process(sf_sandbox):
    from sandbox.demo_org import RECORD_TYPE_IDS

    stages = _connector(sf_sandbox).stages()
    by_pipeline = {label: set(group["stage_id"]) for (label,), group in stages.group_by("pipeline_label")}
    assert set(by_pipeline) == {"New Business", "Renewals & Expansion"}
    new_business, renewals = by_pipeline["New Business"], by_pipeline["Renewals & Expansion"]
    assert {"Discovery", "Contracting", "Closed Won"} <= new_business and not {"Renewed", "Quote Sent"} & new_business
    assert {"Renewal Identified", "Renewed", "Not Renewed"} <= renewals and "Discovery" not in renewals
    # A deactivated stage belongs to no process, but old New Business deals still carry it.
    assert "Legacy - Technical Eval" in new_business and "Legacy - Technical Eval" not in renewals
    ids = dict(stages.select("pipeline_label", "pipeline_id").unique().iter_rows())
    assert ids == RECORD_TYPE_IDS
    opportunities = _connector(sf_sandbox).read("Opportunity")
    assert set(opportunities["RecordTypeId"]) == set(RECORD_TYPE_IDS.values())


def test_opportunities_without_a_record_type_are_in_the_master_pipeline(sf_sandbox):
    sf_sandbox.records("Opportunity")[0]["RecordTypeId"] = None
    stages = _connector(sf_sandbox).stages()
    master = stages.filter(pl.col("pipeline_id") == "012000000000000AAA")
    assert master["pipeline_label"].unique().to_list() == ["Master (no record type)"]
    # Every active stage applies to a record with no record type.
    assert set(master["stage_id"]) >= set(stages.filter(pl.col("is_active"))["stage_id"])


def test_an_org_without_record_types_has_one_pipeline(small_data):
    org = demo_salesforce_org(data=small_data)
    del org.objects["RecordType"]
    opportunity = org.objects["Opportunity"]
    opportunity.fields = [f for f in opportunity.fields if f.name != "RecordTypeId"]
    with SalesforceSandbox(org) as sandbox:
        stages = _connector(sandbox).stages()
    assert set(stages["pipeline_id"]) == {"Opportunity"} and stages.height == len(
        org.objects["OpportunityStage"].records
    )


def test_a_multi_currency_orgs_own_rates_become_rates_into_the_reporting_currency(small_data):
    from datetime import date

    from domain.errors import ValidationError
    from domain.fx_rates import rates_from_org
    from domain.mapping_config import FxRate

    org = demo_salesforce_org(data=small_data)
    with SalesforceSandbox(org) as sandbox:
        dated = _connector(sandbox).org_fx_rates()
        assert set(dated["table"]) == {"DatedConversionRate"} and set(dated["corporate_currency"]) == {"USD"}
        # Units of EUR per USD, as Salesforce keeps them, become what one EUR is worth in USD.
        assert rates_from_org(dated, "USD") == (
            FxRate("EUR", date(1900, 1, 1), 1.08),
            FxRate("EUR", date(2025, 7, 1), 1.12),
        )
        assert rates_from_org(dated, "EUR")[0] == FxRate("USD", date(1900, 1, 1), 0.925926)
        with pytest.raises(ValidationError, match="no rate for the reporting currency GBP"):
            rates_from_org(dated, "GBP")
        del org.objects["DatedConversionRate"]  # advanced currency management off: one static rate per currency
        static = _connector(sandbox).org_fx_rates()
        assert set(static["table"]) == {"CurrencyType"}
        assert rates_from_org(static, "USD") == (FxRate("EUR", date(1900, 1, 1), 1.12),)
        del org.objects["CurrencyType"]  # a single-currency org keeps no rates
        assert _connector(sandbox).org_fx_rates().is_empty()
