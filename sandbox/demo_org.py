"""The demo CRM as a Salesforce org and a HubSpot portal, built from sandbox.demo_data's generator."""

from __future__ import annotations

from typing import Any

import polars as pl

from domain.salesforce_ids import to_18
from sandbox.demo_data import MOVEMENT_LABELS, DemoSpec, generate
from sandbox.demo_data import STAGE_MASTER as STAGE_MASTER_ROWS
from sandbox.salesforce import SalesforceOrg, SField, SObject

# The demo's two sales processes, as Salesforce models them: one Opportunity record type per pipeline, each
# on its own business process (stage list). (pipeline, record type id (15), developer name, business process id)
_SALES_PROCESSES = (
    ("New Business", "012Dm0000000001", "New_Business", "019Dm0000000001"),
    ("Renewals & Expansion", "012Dm0000000002", "Renewals_Expansion", "019Dm0000000002"),
)


def _id18(short: str) -> str:
    return pl.select(to_18(pl.lit(short))).item()


RECORD_TYPE_IDS = {pipeline: _id18(record_type) for pipeline, record_type, _, _ in _SALES_PROCESSES}

_SYSTEM = [
    SField("CreatedDate", "datetime"),
    SField("LastModifiedDate", "datetime"),
    SField("SystemModstamp", "datetime"),
    SField("IsDeleted", "boolean"),
]


def _records(frame: pl.DataFrame, renames: dict[str, str] | None = None) -> list[dict[str, Any]]:
    frame = frame.rename(renames or {})
    if "LastModifiedDate" in frame.columns and "SystemModstamp" not in frame.columns:
        frame = frame.with_columns(SystemModstamp=pl.col("LastModifiedDate"))
    if "IsDeleted" not in frame.columns:
        frame = frame.with_columns(IsDeleted=pl.lit(False))
    return frame.to_dicts()


def demo_salesforce_org(spec: DemoSpec = DemoSpec(), *, data: dict | None = None) -> SalesforceOrg:
    """A multi-currency org with Account, Opportunity (and its OpportunityHistory), OpportunityStage, User, Contract
    and ARR_Movement__c."""
    data = data or generate(spec)
    stages = data["stages"]
    # An opportunity's pipeline is its record type.
    opportunities = (
        data["opportunities"]
        .drop("Account.Name")
        .with_columns(
            pl.col("Amount").cast(pl.Float64),
            pl.col("Probability").cast(pl.Float64),
            RecordTypeId=pl.col("Pipeline").replace_strict(RECORD_TYPE_IDS, default=None),
        )
        .drop("Pipeline")
    )
    movements = (
        data["arr_movements"]
        .drop("Account.Name")
        .rename(
            {
                "AccountId": "Account__c",
                "EffectiveDate": "Effective_Date__c",
                "MovementType": "Movement_Type__c",
                "ARRChange": "ARR_Change__c",
            }
        )
        .with_columns(Name=pl.col("Id"), CreatedDate=pl.col("LastModifiedDate"))
    )
    accounts = data["accounts"].drop("PreviousName").with_columns(pl.col("AnnualRevenue").cast(pl.Float64))
    users = data["owners"].with_columns(
        CreatedDate=pl.lit("2023-01-01T00:00:00.000+0000"), LastModifiedDate=pl.lit("2023-01-01T00:00:00.000+0000")
    )
    stage_rows = stages.drop("Pipeline").with_columns(
        pl.col("DefaultProbability").cast(pl.Float64),
        ForecastCategoryName=pl.when(pl.col("IsWon"))
        .then(pl.lit("Closed"))
        .when(pl.col("IsClosed"))
        .then(pl.lit("Omitted"))
        .otherwise(pl.lit("Pipeline")),
    )
    stage_names = tuple(stages["ApiName"].to_list())
    inactive_stages = tuple(stages.filter(~pl.col("IsActive"))["ApiName"].to_list())
    org = SalesforceOrg(name="Demo Revenue Inc.")
    processes = [
        {
            "Id": _id18(process),
            "Name": f"{pipeline} Process",
            "TableEnumOrId": "Opportunity",
            "IsActive": True,
            "Description": None,
            "IsDeleted": False,
        }
        for pipeline, _, _, process in _SALES_PROCESSES
    ]
    record_types = [
        {
            "Id": RECORD_TYPE_IDS[pipeline],
            "Name": pipeline,
            "DeveloperName": developer,
            "SobjectType": "Opportunity",
            "BusinessProcessId": _id18(process),
            "IsActive": True,
            "Description": None,
            "IsDeleted": False,
        }
        for pipeline, _, developer, process in _SALES_PROCESSES
    ]
    org.business_process_stages = {
        _id18(process): stages.filter(pl.col("Pipeline") == pipeline)["ApiName"].to_list()
        for pipeline, _, _, process in _SALES_PROCESSES
    }
    org.objects = {
        "Organization": SObject(
            "Organization",
            "Organization",
            "00D",
            [
                SField("Id", "id"),
                SField("Name"),
                SField("IsSandbox", "boolean"),
                SField("DefaultCurrencyIsoCode"),
                SField("TimeZoneSidKey", "picklist"),
            ],
            [
                {
                    "Id": "00D000000000001EAA",
                    "Name": org.name,
                    "IsSandbox": True,
                    "DefaultCurrencyIsoCode": "USD",
                    "TimeZoneSidKey": "America/New_York",
                    "IsDeleted": False,
                }
            ],
        ),
        "User": SObject(
            "User",
            "User",
            "005",
            [SField("Id", "id"), SField("Name"), SField("Email", "email"), SField("IsActive", "boolean"), *_SYSTEM],
            _records(users),
        ),
        "Account": SObject(
            "Account",
            "Account",
            "001",
            [
                SField("Id", "id"),
                SField("Name"),
                SField("ParentId", "reference", "Parent Account", (), "Account", "Parent"),
                SField("Website", "url"),
                SField("BillingCountry"),
                SField("Industry", "picklist"),
                SField("AnnualRevenue", "currency"),
                SField("Segment__c", "picklist", "Segment", ("Enterprise", "Mid-Market", "SMB")),
                SField("OwnerId", "reference", "Owner ID", (), "User", "Owner"),
                *_SYSTEM,
            ],
            _records(accounts),
        ),
        # A multi-currency org with advanced currency management: USD corporate, EUR rates by period (units of
        # EUR per USD, as Salesforce keeps them; 1/1.08 until mid-2025, then 1/1.12).
        "CurrencyType": SObject(
            "CurrencyType",
            "Currency",
            "02c",
            [
                SField("Id", "id"),
                SField("IsoCode", "picklist"),
                SField("ConversionRate", "double"),
                SField("DecimalPlaces", "int"),
                SField("IsActive", "boolean"),
                SField("IsCorporate", "boolean"),
            ],
            [
                {
                    "Id": "02cDm0000000001AAA",
                    "IsoCode": "USD",
                    "ConversionRate": 1.0,
                    "DecimalPlaces": 2,
                    "IsActive": True,
                    "IsCorporate": True,
                    "IsDeleted": False,
                },
                {
                    "Id": "02cDm0000000002AAA",
                    "IsoCode": "EUR",
                    "ConversionRate": 0.892857,
                    "DecimalPlaces": 2,
                    "IsActive": True,
                    "IsCorporate": False,
                    "IsDeleted": False,
                },
            ],
        ),
        "DatedConversionRate": SObject(
            "DatedConversionRate",
            "Dated Exchange Rate",
            "04w",
            [
                SField("Id", "id"),
                SField("IsoCode", "picklist"),
                SField("ConversionRate", "double"),
                SField("StartDate", "date"),
                SField("NextStartDate", "date"),
            ],
            [
                {
                    "Id": "04wDm0000000001AAA",
                    "IsoCode": "USD",
                    "ConversionRate": 1.0,
                    "StartDate": "0001-01-01",
                    "NextStartDate": "9999-12-31",
                    "IsDeleted": False,
                },
                {
                    "Id": "04wDm0000000002AAA",
                    "IsoCode": "EUR",
                    "ConversionRate": 0.925926,
                    "StartDate": "0001-01-01",
                    "NextStartDate": "2025-07-01",
                    "IsDeleted": False,
                },
                {
                    "Id": "04wDm0000000003AAA",
                    "IsoCode": "EUR",
                    "ConversionRate": 0.892857,
                    "StartDate": "2025-07-01",
                    "NextStartDate": "9999-12-31",
                    "IsDeleted": False,
                },
            ],
        ),
        "BusinessProcess": SObject(
            "BusinessProcess",
            "Business Process",
            "019",
            [
                SField("Id", "id"),
                SField("Name"),
                SField("TableEnumOrId", "picklist"),
                SField("IsActive", "boolean"),
                SField("Description"),
            ],
            processes,
        ),
        "RecordType": SObject(
            "RecordType",
            "Record Type",
            "012",
            [
                SField("Id", "id"),
                SField("Name"),
                SField("DeveloperName"),
                SField("SobjectType", "picklist"),
                SField(
                    "BusinessProcessId", "reference", "Business Process ID", (), "BusinessProcess", "BusinessProcess"
                ),
                SField("IsActive", "boolean"),
                SField("Description"),
            ],
            record_types,
        ),
        "OpportunityStage": SObject(
            "OpportunityStage",
            "Opportunity Stage",
            "01J",
            [
                SField("Id", "id"),
                SField("ApiName"),
                SField("MasterLabel"),
                SField("DefaultProbability", "percent"),
                SField("IsClosed", "boolean"),
                SField("IsWon", "boolean"),
                SField("IsActive", "boolean"),
                SField("SortOrder", "int"),
                SField("ForecastCategoryName", "picklist"),
            ],
            _records(stage_rows),
        ),
        "Opportunity": SObject(
            "Opportunity",
            "Opportunity",
            "006",
            [
                SField("Id", "id"),
                SField("Name"),
                SField("AccountId", "reference", "Account ID", (), "Account", "Account"),
                SField("RecordTypeId", "reference", "Opportunity Record Type ID", (), "RecordType", "RecordType"),
                SField("StageName", "picklist", "Stage", stage_names, inactive=inactive_stages),
                SField("Amount", "currency"),
                SField("CurrencyIsoCode", "picklist", "Opportunity Currency", ("USD", "EUR")),
                SField("CloseDate", "date", "Close Date"),
                SField("Probability", "percent", "Probability (%)"),
                SField("Type", "picklist"),
                SField("OwnerId", "reference", "Owner ID", (), "User", "Owner"),
                SField("LeadSource", "picklist"),
                SField("NextStep"),
                SField("ForecastCategoryName", "picklist"),
                SField("Segment__c", "picklist", "Segment", ("Enterprise", "Mid-Market", "SMB")),
                *_SYSTEM,
            ],
            _records(opportunities),
        ),
        "OpportunityHistory": SObject(
            "OpportunityHistory",
            "Opportunity History",
            "008",
            [
                SField("Id", "id"),
                SField("OpportunityId", "reference", "Opportunity ID", (), "Opportunity", "Opportunity"),
                SField("StageName", "picklist", "Stage", stage_names),
                SField("CreatedDate", "datetime"),
                SField("SystemModstamp", "datetime"),
                SField("IsDeleted", "boolean"),
            ],
            _records(data["stage_history"].with_columns(SystemModstamp=pl.col("CreatedDate"))),
        ),
        "Contract": SObject(
            "Contract",
            "Contract",
            "800",
            [
                SField("Id", "id"),
                SField("AccountId", "reference", "Account ID", (), "Account", "Account"),
                SField("StartDate", "date", "Contract Start Date"),
                SField("EndDate", "date", "Contract End Date"),
                SField("ContractTerm", "int", "Contract Term (months)"),
                SField("Status", "picklist", "Status", ("Draft", "Activated")),
                SField("ARR__c", "currency", "Annual Recurring Revenue"),
                SField("CurrencyIsoCode", "picklist", "Contract Currency", ("USD", "EUR")),
                *_SYSTEM,
            ],
            _records(data["contracts"].with_columns(CreatedDate=pl.col("LastModifiedDate"))),
        ),
        "ARR_Movement__c": SObject(
            "ARR_Movement__c",
            "ARR Movement",
            "a0X",
            [
                SField("Id", "id"),
                SField("Name"),
                SField("Account__c", "reference", "Account", (), "Account", "Account__r"),
                SField("Effective_Date__c", "date", "Effective Date"),
                SField(
                    "Movement_Type__c",
                    "picklist",
                    "Movement Type",
                    tuple(label for labels in MOVEMENT_LABELS.values() for label in labels),
                ),
                SField("ARR_Change__c", "currency", "ARR Change"),
                SField("CurrencyIsoCode", "picklist"),
                *_SYSTEM,
            ],
            _records(movements),
        ),
    }
    return org


# HubSpot stage ids: the default pipeline keeps HubSpot's own ids, a custom pipeline gets numeric ones.
_HUBSPOT_STAGE_IDS = {
    "Discovery": "appointmentscheduled",
    "Qualified": "qualifiedtobuy",
    "Solution Fit": "presentationscheduled",
    "Legacy - Technical Eval": "1029001",
    "Proposal Sent": "decisionmakerboughtin",
    "Contracting": "contractsent",
    "Closed Won": "closedwon",
    "Closed Lost": "closedlost",
    "Renewal Identified": "1034001",
    "Renewal Review": "1034002",
    "Quote Sent": "1034003",
    "Verbal Commit": "1034004",
    "Renewed": "1034005",
    "Not Renewed": "1034006",
}
_HUBSPOT_PIPELINES = {"New Business": "default", "Renewals & Expansion": "731000001"}


def _hs_time(column: str) -> pl.Expr:
    """Salesforce-style '2024-06-01T12:00:00.000+0000' -> HubSpot-style '2024-06-01T12:00:00.000Z'."""
    return pl.col(column).str.replace(r"\+0000$", "Z")


def demo_hubspot_portal(spec: DemoSpec = DemoSpec(), *, data: dict | None = None):
    """The demo pipeline as a HubSpot portal: deals, companies, associations, two pipelines, owners."""
    from sandbox.hubspot import HubSpotPortal, HubSpotRecord

    data = data or generate(spec)
    owners = data["owners"].with_row_index("n").with_columns(hs_id=(pl.col("n") + 910901).cast(pl.String))
    owner_ids = dict(zip(owners["Id"], owners["hs_id"], strict=True))
    accounts = data["accounts"].with_row_index("n").with_columns(hs_id=(pl.col("n") + 9876500001).cast(pl.String))
    company_ids = dict(zip(accounts["Id"], accounts["hs_id"], strict=True))
    deals = (
        data["opportunities"]
        .with_row_index("n")
        .with_columns(
            hs_id=(pl.col("n") + 18562200001).cast(pl.String),
            dealstage=pl.col("StageName").replace_strict(_HUBSPOT_STAGE_IDS, default=pl.col("StageName")),
            pipeline=pl.col("Pipeline").replace_strict(_HUBSPOT_PIPELINES),
            closedate=pl.when(pl.col("CloseDate").str.contains(r"^\d{4}-\d{2}-\d{2}$"))
            .then(pl.col("CloseDate") + "T00:00:00Z")
            .otherwise(pl.col("CloseDate")),
            amount=pl.col("Amount").cast(pl.String),
            hubspot_owner_id=pl.col("OwnerId").replace_strict(owner_ids, default=None),
            createdate=_hs_time("CreatedDate"),
            hs_lastmodifieddate=_hs_time("LastModifiedDate"),
        )
    )
    # Each deal's dealstage history (oldest first), in HubSpot's stage ids and timestamps.
    history: dict[str, list[tuple[str, str]]] = {}
    deal_ids = dict(zip(deals["Id"], deals["hs_id"], strict=True))
    for row in (
        data["stage_history"]
        .with_columns(
            pl.col("StageName").replace_strict(_HUBSPOT_STAGE_IDS, default=pl.col("StageName")),
            _hs_time("CreatedDate"),
        )
        .iter_rows(named=True)
    ):
        history.setdefault(deal_ids[row["OpportunityId"]], []).append((row["StageName"], row["CreatedDate"]))
    deal_records = [
        HubSpotRecord(
            row["hs_id"],
            {
                "dealname": row["Name"],
                "amount": row["amount"],
                "dealstage": row["dealstage"],
                "pipeline": row["pipeline"],
                "closedate": row["closedate"],
                "hubspot_owner_id": row["hubspot_owner_id"],
                "deal_currency_code": row["CurrencyIsoCode"],
                "createdate": row["createdate"],
                "hs_lastmodifieddate": row["hs_lastmodifieddate"],
                "hs_object_id": row["hs_id"],
                "customer_segment": row["Segment__c"],
                "dealtype": row["Type"],
            },
            row["createdate"],
            row["hs_lastmodifieddate"],
            history={"dealstage": history[row["hs_id"]]} if row["hs_id"] in history else {},
        )
        for row in deals.to_dicts()
    ]
    company_records = [
        HubSpotRecord(
            row["hs_id"],
            {
                "name": row["Name"],
                "domain": row["Website"],
                "country": row["BillingCountry"],
                "industry": row["Industry"],
                "hs_object_id": row["hs_id"],
                "createdate": "2023-01-15T09:00:00Z",
                "hs_lastmodifieddate": "2026-11-01T06:00:00Z",
            },
            "2023-01-15T09:00:00Z",
            "2026-11-01T06:00:00Z",
        )
        for row in accounts.to_dicts()
    ]
    stage_meta = {s: (p, closed, won, active) for _, s, p, closed, won, active in STAGE_MASTER_ROWS}
    pipelines = []
    for label, pipeline_id in _HUBSPOT_PIPELINES.items():
        names = [s for pipe, s, *_ in STAGE_MASTER_ROWS if pipe == label]
        pipelines.append(
            {
                "id": pipeline_id,
                "label": label,
                "displayOrder": len(pipelines),
                "archived": False,
                "createdAt": "1970-01-01T00:00:00Z",
                "updatedAt": "2024-02-01T10:00:00.000Z",
                "stages": [
                    {
                        "id": _HUBSPOT_STAGE_IDS[s],
                        "label": s,
                        "displayOrder": i,
                        "metadata": {
                            "isClosed": str(stage_meta[s][1]).lower(),
                            "probability": str(stage_meta[s][0] / 100),
                        },
                        "archived": not stage_meta[s][3],
                        "createdAt": "1970-01-01T00:00:00Z",
                        "updatedAt": "2024-02-01T10:00:00.000Z",
                    }
                    for i, s in enumerate(names)
                ],
            }
        )
    properties = [
        {
            "name": "dealname",
            "label": "Deal Name",
            "type": "string",
            "fieldType": "text",
            "groupName": "dealinformation",
        },
        {"name": "amount", "label": "Amount", "type": "number", "fieldType": "number", "groupName": "dealinformation"},
        {
            "name": "dealstage",
            "label": "Deal Stage",
            "type": "enumeration",
            "fieldType": "radio",
            "groupName": "dealinformation",
            "options": [{"label": s, "value": i} for s, i in _HUBSPOT_STAGE_IDS.items()],
        },
        {
            "name": "pipeline",
            "label": "Pipeline",
            "type": "enumeration",
            "fieldType": "select",
            "groupName": "dealinformation",
        },
        {
            "name": "closedate",
            "label": "Close Date",
            "type": "datetime",
            "fieldType": "date",
            "groupName": "dealinformation",
        },
        {
            "name": "hubspot_owner_id",
            "label": "Deal owner",
            "type": "enumeration",
            "fieldType": "select",
            "groupName": "dealinformation",
            "referencedObjectType": "OWNER",
        },
        {
            "name": "deal_currency_code",
            "label": "Currency",
            "type": "enumeration",
            "fieldType": "select",
            "groupName": "dealinformation",
            "options": [{"label": c, "value": c} for c in ("USD", "EUR")],
        },
        {
            "name": "createdate",
            "label": "Create Date",
            "type": "datetime",
            "fieldType": "date",
            "groupName": "dealinformation",
        },
        {
            "name": "hs_lastmodifieddate",
            "label": "Last Modified Date",
            "type": "datetime",
            "fieldType": "date",
            "groupName": "dealinformation",
        },
        {
            "name": "hs_object_id",
            "label": "Record ID",
            "type": "number",
            "fieldType": "number",
            "groupName": "dealinformation",
        },
        {
            "name": "customer_segment",
            "label": "Customer segment",
            "type": "enumeration",
            "fieldType": "select",
            "groupName": "dealinformation",
            "hubspotDefined": False,
            "options": [{"label": s, "value": s} for s in ("Enterprise", "Mid-Market", "SMB")],
        },
        {
            "name": "dealtype",
            "label": "Deal Type",
            "type": "enumeration",
            "fieldType": "radio",
            "groupName": "dealinformation",
        },
    ]
    for prop in properties:
        prop.setdefault("options", [])
        prop.setdefault("description", "")
        prop.setdefault("hubspotDefined", True)
    return HubSpotPortal(
        name="demo-revenue.hubspot.example",
        objects={"deals": deal_records, "companies": company_records},
        default_properties={
            "deals": (
                "amount",
                "closedate",
                "createdate",
                "dealname",
                "dealstage",
                "hs_lastmodifieddate",
                "hs_object_id",
                "pipeline",
            ),
            "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
        },
        properties={
            "deals": properties,
            "companies": [
                {
                    "name": n,
                    "label": n.title(),
                    "type": "string",
                    "fieldType": "text",
                    "groupName": "companyinformation",
                    "options": [],
                    "description": "",
                }
                for n in ("name", "domain", "country", "industry")
            ],
        },
        pipelines=pipelines,
        owners=[
            {
                "id": row["hs_id"],
                "email": row["Email"],
                "firstName": row["Name"].split(" ")[0],
                "lastName": row["Name"].split(" ", 1)[1],
                "userId": 100 + row["n"],
                "archived": False,
                "type": "PERSON",
                "createdAt": "2023-01-01T00:00:00Z",
                "updatedAt": "2023-01-01T00:00:00Z",
            }
            for row in owners.to_dicts()
        ],
        deal_companies={
            row["hs_id"]: [company_ids[row["AccountId"]]] for row in deals.to_dicts() if row["AccountId"] in company_ids
        },
    )
