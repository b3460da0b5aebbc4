"""Salesforce through simple-salesforce: login, describe, stages, owners and full or incremental reads.

Reads go through SOQL `queryAll` so deleted records come back as tombstones (IsDeleted), follow
nextRecordsUrl page by page, and switch to Bulk API 2.0 above `bulk_threshold` records. A read
either returns every record or raises: a page that fails after retries fails the whole read.
"""

from __future__ import annotations

import io
import logging
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)
from urllib3.util.retry import Retry

from connectors.base import (
    OWNER_SCHEMA,
    STAGE_HISTORY_SCHEMA,
    STAGE_SCHEMA,
    ConnectionCheck,
    FieldInfo,
    ObjectInfo,
    settings_from_dict,
)
from domain.errors import CredentialsError, QuotaExhausted, SourceError, SourceUnavailable
from domain.salesforce_ids import to_18
from domain.source_kinds import SourceKind
from domain.timestamps import known_time_zone, parse_utc

log = logging.getLogger(__name__)

# An org without Opportunity record types has one pipeline, named after the object.
SINGLE_PIPELINE = "Opportunity"
# With record types, an opportunity's pipeline is its record type (each on a business process, its stage list);
# one with no record type of its own uses the master record type, whose stages are all of them.
PIPELINE_FIELD = "RecordTypeId"
MASTER_RECORD_TYPE = "012000000000000AAA"

# What org_fx_rates() returns: the org's conversion rates, as Salesforce keeps them.
ORG_FX_SCHEMA: dict[str, pl.DataType] = {
    "currency": pl.String(),
    "valid_from": pl.Date(),
    "conversion_rate": pl.Float64(),
    "table": pl.String(),
    "corporate_currency": pl.String(),
}

# Objects the app reads; custom objects (…__c) are offered too, e.g. for ARR movements.
STANDARD_OBJECTS = ("Account", "Opportunity", "OpportunityStage", "User", "Contract")
# Compound or binary fields SOQL cannot select alongside the rest.
_UNSELECTABLE_TYPES = {"address", "location", "base64", "complexvalue"}
# Parent names worth reading with a record (Account.Name on an opportunity, Owner.Email for owner mapping).
_PARENT_FIELDS = {"Account": ("Name",), "User": ("Name", "Email")}
_PARENT_LABELS = {"Name": "name", "Email": "e-mail"}
_PARENT_TYPES = {"Name": "string", "Email": "email"}


@dataclass(frozen=True)
class SalesforceSettings:
    """Non-secret settings of a Salesforce connection.

    auth: "password" (username + password + security token), "session" (session id + instance URL)
    or "client_credentials" (connected app consumer key + secret on a My Domain).
    domain: "login" for production, "test" for a sandbox org, or a My Domain such as "acme.my".
    api_base_url: send every request to this base URL instead (a proxy, or a local sandbox).
    """

    auth: str = "password"
    domain: str = "login"
    username: str | None = None  # a setting, as the Connect form stores it (older connections kept it secret)
    instance_url: str | None = None
    api_base_url: str | None = None
    api_version: str = "59.0"
    bulk_threshold: int = 50_000
    page_size: int = 2000
    lookback_minutes: int = 10
    timeout_seconds: float = 60.0


class _RoutedSession(requests.Session):
    """Sends every https request to `base_url` (keeping path and query): a proxy or a local sandbox.

    simple-salesforce always builds https URLs from the login host or instance; this is the one
    place that can point them elsewhere, for login, REST and Bulk 2.0 calls alike.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "https":
            url = self.base_url + parts.path + ("?" + parts.query if parts.query else "")
        return super().request(method, url, *args, **kwargs)


def _session(settings: SalesforceSettings) -> requests.Session:
    session = _RoutedSession(settings.api_base_url) if settings.api_base_url else requests.Session()
    # Retries with backoff for server errors and dropped connections on reads (urllib3's Retry).
    retry = Retry(
        total=3,
        connect=3,
        read=3,
        status=3,
        backoff_factor=0.2,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class SalesforceConnector:
    """One Salesforce org."""

    kind = SourceKind.SALESFORCE

    def __init__(self, settings: dict[str, Any], secrets: dict[str, str], *, source_key: str) -> None:
        self.settings = settings_from_dict(SalesforceSettings, settings)
        self._secrets = secrets
        self.source_key = source_key
        self._client: Salesforce | None = None
        self._time_zone: str | None = None
        self.api_calls = 0

    # -- connection ------------------------------------------------------------------------
    def _sf(self) -> Salesforce:
        if self._client is not None:
            return self._client
        s, secret = self.settings, self._secrets
        common = {"version": s.api_version, "session": _session(s)}
        try:
            if s.auth == "session":
                if not secret.get("session_id") or not s.instance_url:
                    raise CredentialsError(
                        "Session id and instance URL are both needed for session login.", hint="Enter them in Connect."
                    )
                self._client = Salesforce(instance_url=s.instance_url, session_id=secret["session_id"], **common)
            elif s.auth == "client_credentials":
                self._client = Salesforce(
                    consumer_key=secret.get("consumer_key", ""),
                    consumer_secret=secret.get("consumer_secret", ""),
                    domain=s.domain,
                    **common,
                )
            else:
                username = s.username or secret.get("username", "")
                self._client = Salesforce(
                    username=username,
                    password=secret.get("password", ""),
                    security_token=secret.get("security_token", ""),
                    domain=s.domain,
                    **common,
                )
        except SalesforceAuthenticationFailed as exc:
            # Salesforce's own reason (INVALID_LOGIN, invalid_grant…), not the library's message template.
            reason = exc.auth_message.strip() or "no reason given"
            raise CredentialsError(
                f"Salesforce refused the login: {reason} ({exc.code})",
                hint="Check the username, password and security token (or the connected app) in Connect.",
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise SourceUnavailable(f"Salesforce login could not reach {self._host()}: {_reason(exc)}") from exc
        return self._client

    def _host(self) -> str:
        return self.settings.api_base_url or self.settings.instance_url or f"{self.settings.domain}.salesforce.com"

    def _call(self, what: str, function, *args, **kwargs):
        """Run one client call and turn every failure into a typed error that names `what`."""
        try:
            result = function(*args, **kwargs)
            self.api_calls += 1
            return result
        except SalesforceExpiredSession as exc:
            self._client = None
            raise CredentialsError(
                "Salesforce credential expired or rotated — re-authorize in Connect.",
                hint=f"Salesforce answered INVALID_SESSION_ID while reading {what}.",
            ) from exc
        except SalesforceRefusedRequest as exc:
            code = _error_code(exc)
            if code == "REQUEST_LIMIT_EXCEEDED":
                raise QuotaExhausted(
                    f"Salesforce's daily API limit is used up (while reading {what}).",
                    hint="The sync stopped before saving anything and its cursor did not move. Salesforce frees "
                    "API calls over a rolling 24 hours; the next run resumes from the same point and completes "
                    "the data.",
                ) from exc
            raise CredentialsError(
                f"Salesforce refused access to {what} ({code}).",
                hint="The user needs API access and read permission on this object.",
            ) from exc
        except SalesforceMalformedRequest as exc:
            raise SourceError(f"Salesforce rejected the request for {what}: {_error_message(exc)}") from exc
        except SalesforceResourceNotFound as exc:
            raise SourceError(f"Salesforce has no {what}.", hint="Check the object name in Connect.") from exc
        except SalesforceError as exc:
            raise SourceUnavailable(
                f"Salesforce failed while reading {what} (HTTP {exc.status}); nothing from this read was used.",
                hint="Try again; if it persists, check Salesforce's status page.",
            ) from exc
        except requests.exceptions.JSONDecodeError as exc:
            raise SourceUnavailable(
                f"Salesforce sent a response that is not valid JSON for {what}; nothing from this read was used."
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise SourceUnavailable(
                f"The connection to Salesforce dropped while reading {what}: {_reason(exc)}. "
                "Nothing from this read was used."
            ) from exc

    # -- Connector interface -------------------------------------------------------------------
    def test_connection(self) -> ConnectionCheck:
        """Log in, then report the org, the API allowance left and the objects this user can read."""
        try:
            sf = self._sf()
            org = self._call("the organization", sf.query, "SELECT Id, Name FROM Organization")
            limits = self._call("API limits", sf.limits)
            objects = self._call("the object list", sf.describe)
        except SourceError as exc:
            return ConnectionCheck(ok=False, headline=exc.user_message, details=(exc.hint,) if exc.hint else ())
        name = org["records"][0]["Name"] if org.get("records") else "Salesforce org"
        daily = limits.get("DailyApiRequests", {})
        readable = sorted(
            o["name"]
            for o in objects.get("sobjects", [])
            if o.get("queryable") and (o["name"] in STANDARD_OBJECTS or o["name"].endswith("__c"))
        )
        missing = [o for o in ("Account", "Opportunity") if o not in readable]
        details = [f"Readable: {', '.join(readable)}"]
        if missing:
            details.append(f"Not readable by this user: {', '.join(missing)}")
        return ConnectionCheck(
            ok=not missing,
            headline=f"Connected to {name} · {int(daily.get('Remaining', 0)):,} of {int(daily.get('Max', 0)):,} "
            "daily API calls left",
            details=tuple(details),
            objects=tuple(ObjectInfo(n, n, ()) for n in readable),
        )

    def time_zone(self) -> str:
        """The org's time zone (Organization.TimeZoneSidKey): a datetime mapped to a date is the date there."""
        if self._time_zone is None:
            try:
                records = self._call(
                    "the organization's time zone", self._sf().query, "SELECT TimeZoneSidKey FROM Organization"
                )["records"]
            except (CredentialsError, QuotaExhausted):
                raise
            except SourceError as exc:  # a field this org or proxy does not expose: dates stay in UTC
                log.warning("Salesforce time zone unknown (%s); dates are taken in UTC", exc)
                records = []
            self._time_zone = known_time_zone(records[0].get("TimeZoneSidKey") if records else None)
        return self._time_zone

    def describe(self) -> list[ObjectInfo]:
        sf = self._sf()
        global_describe = self._call("the object list", sf.describe)
        names = [
            o["name"]
            for o in global_describe.get("sobjects", [])
            if o.get("queryable") and (o["name"] in STANDARD_OBJECTS or o["name"].endswith("__c"))
        ]
        return [self._describe_object(name) for name in names]

    def _describe_object(self, name: str) -> ObjectInfo:
        described = self._call(f"the {name} description", getattr(self._sf(), name).describe)
        fields = [
            FieldInfo(
                name=f["name"],
                label=f.get("label") or f["name"],
                type=f.get("type", "string"),
                custom=bool(f.get("custom")),
                picklist_values=tuple(p["value"] for p in f.get("picklistValues") or [] if p.get("active", True)),
            )
            for f in described.get("fields", [])
        ]
        # The parent fields a read selects (Account.Name, Owner.Email) are offered too, under the names the
        # read gives them, so review sees every field a sync reads and the drift guard knows them.
        fields += [
            FieldInfo(
                name=f"{relationship}.{parent_field}",
                label=f"{relationship} {_PARENT_LABELS[parent_field]}",
                type=_PARENT_TYPES[parent_field],
            )
            for relationship, parent_field in self._parent_fields(described)
        ]
        return ObjectInfo(name=name, label=described.get("label") or name, fields=tuple(fields))

    @staticmethod
    def _parent_fields(described: dict[str, Any]) -> list[tuple[str, str]]:
        """(relationship, parent field) pairs a read selects through reference fields, e.g. ('Owner', 'Email')."""
        pairs = []
        for f in described.get("fields", []):
            target = (f.get("referenceTo") or [None])[0]
            if f.get("type") == "reference" and f.get("relationshipName") and target in _PARENT_FIELDS:
                pairs += [(f["relationshipName"], parent_field) for parent_field in _PARENT_FIELDS[target]]
        return pairs

    def _select_list(self, described: dict[str, Any]) -> tuple[list[str], list[str]]:
        """Fields to SELECT for an object and which of them hold record IDs (normalised to 18 chars)."""
        fields, id_fields = [], []
        for f in described.get("fields", []):
            if f.get("type") in _UNSELECTABLE_TYPES:
                continue
            fields.append(f["name"])
            if f.get("type") in {"id", "reference"}:
                id_fields.append(f["name"])
        fields += [f"{relationship}.{parent_field}" for relationship, parent_field in self._parent_fields(described)]
        return fields, id_fields

    def read(self, object_name: str, *, since: datetime | None = None) -> pl.DataFrame:
        """Every record of `object_name` (modified after `since` minus the look-back), deleted ones as tombstones."""
        described = self._call(f"the {object_name} description", getattr(self._sf(), object_name).describe)
        fields, id_fields = self._select_list(described)
        names = {f["name"] for f in described.get("fields", [])}
        where = ""
        if since is not None and "SystemModstamp" in names:
            where = format_soql(" WHERE SystemModstamp > {}", since - timedelta(minutes=self.settings.lookback_minutes))
        soql = f"SELECT {', '.join(fields)} FROM {object_name}{where}"
        count = self._call(
            f"the {object_name} count",
            self._sf().query,
            f"SELECT COUNT() FROM {object_name}{where}",
            include_deleted=True,
        )["totalSize"]
        if count > self.settings.bulk_threshold:
            frame = self._read_bulk(object_name, soql, fields)
        else:
            frame = self._read_rest(object_name, soql, fields)
        return self._finish(frame, fields, id_fields)

    def _read_rest(
        self, object_name: str, soql: str, fields: list[str], *, include_deleted: bool = True
    ) -> pl.DataFrame:
        sf = self._sf()
        headers = {"Sforce-Query-Options": f"batchSize={self.settings.page_size}"}
        page = self._call(f"{object_name} (page 1)", sf.query, soql, include_deleted=include_deleted, headers=headers)
        pages = [page["records"]]
        while not page.get("done", True):
            page = self._call(
                f"{object_name} (page {len(pages) + 1})",
                sf.query_more,
                page["nextRecordsUrl"],
                identifier_is_url=True,
                headers=headers,
            )
            pages.append(page["records"])
        records = [record for batch in pages for record in batch]
        if len(records) != page.get("totalSize", len(records)):
            raise SourceUnavailable(
                f"Salesforce returned {len(records):,} of {page['totalSize']:,} {object_name} "
                "records; nothing from this read was used."
            )
        log.info("read %s %s records in %s pages", len(records), object_name, len(pages))
        return _records_frame(records, fields)

    def _read_bulk(self, object_name: str, soql: str, fields: list[str]) -> pl.DataFrame:
        bulk = getattr(self._sf().bulk2, object_name)
        chunks = self._call(
            f"{object_name} (Bulk API 2.0)", lambda: list(bulk.query_all(soql, max_records=50_000, wait=0.2))
        )
        self.api_calls += len(chunks) + 2  # job create + poll + one results call per chunk
        frames = [pl.read_csv(io.StringIO(chunk), infer_schema=False) for chunk in chunks if chunk]
        frame = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=dict.fromkeys(fields, pl.String))
        log.info("read %s %s records through Bulk API 2.0", len(frame), object_name)
        return frame

    def _finish(self, frame: pl.DataFrame, fields: list[str], id_fields: list[str]) -> pl.DataFrame:
        for name in fields:
            if name not in frame.columns:
                frame = frame.with_columns(pl.lit(None, pl.String).alias(name))
        frame = frame.select(fields).with_columns(pl.all().cast(pl.String))
        # Salesforce stores empty text as null; Bulk CSV cannot tell them apart, so neither do we.
        frame = frame.with_columns(pl.when(pl.all() == "").then(None).otherwise(pl.all()).name.keep())
        frame = frame.with_columns([to_18(pl.col(name)).alias(name) for name in id_fields])
        # REST writes `.000+0000`, Bulk 2.0 CSV `.000Z`: one parser takes both (and any other ISO-8601 form).
        modified = (
            parse_utc(pl.col("SystemModstamp"))
            if "SystemModstamp" in frame.columns
            else pl.lit(None, pl.Datetime("us", "UTC"))
        )
        deleted = (pl.col("IsDeleted").str.to_lowercase() == "true") if "IsDeleted" in frame.columns else pl.lit(False)
        return frame.with_columns(
            pl.lit(self.source_key).alias("source"),
            pl.col("Id").alias("source_id"),
            modified.alias("source_modified_at"),
            deleted.fill_null(False).alias("is_deleted"),
        )

    def stage_history(self, object_name: str, *, since: datetime | None = None) -> pl.DataFrame | None:
        """The stages each opportunity entered (OpportunityHistory: one row per stage, amount or close-date
        change, each with the stage the deal was in), those created after `since` when given; None for an object
        Salesforce keeps no stage history for. History rows are never edited, so `since` misses nothing."""
        if object_name != "Opportunity":
            return None
        where = "" if since is None else format_soql(" WHERE CreatedDate > {}", since)
        fields = ["OpportunityId", "StageName", "CreatedDate"]
        soql = f"SELECT {', '.join(fields)} FROM OpportunityHistory{where}"
        count = self._call(
            "the stage history count", self._sf().query, f"SELECT COUNT() FROM OpportunityHistory{where}"
        )
        if count["totalSize"] > self.settings.bulk_threshold:
            frame = self._read_bulk("OpportunityHistory", soql, fields)
        else:
            frame = self._read_rest("OpportunityHistory", soql, fields, include_deleted=False)
        for name in fields:
            if name not in frame.columns:
                frame = frame.with_columns(pl.lit(None, pl.String).alias(name))
        return (
            frame.select(
                to_18(pl.col("OpportunityId").cast(pl.String)).alias("source_id"),
                pl.col("StageName").cast(pl.String).alias("stage"),
                parse_utc(pl.col("CreatedDate").cast(pl.String)).alias("entered_at"),
            )
            .drop_nulls()
            .cast(STAGE_HISTORY_SCHEMA)  # type: ignore[arg-type]
        )

    def stages(self) -> pl.DataFrame:
        """Stages per pipeline, probability normalised to 0..1.

        Stage metadata (probability, closed, won) is org-wide in OpportunityStage. Pipelines are the
        Opportunity record types, each with the stages of its business process (read per record type from
        the UI API, as Salesforce's own pages do); an org without record types has one pipeline. A stage that
        was deactivated belongs to no process any more, yet old deals still carry it: it joins the pipelines
        whose deals carry it.
        """
        soql = (
            "SELECT Id, ApiName, MasterLabel, DefaultProbability, IsClosed, IsWon, IsActive, SortOrder "
            "FROM OpportunityStage ORDER BY SortOrder"
        )
        records = self._call("the stage list (OpportunityStage)", self._sf().query_all, soql)["records"]
        master = pl.DataFrame(
            {
                "stage_id": [r["ApiName"] for r in records],
                "label": [r["MasterLabel"] for r in records],
                "probability": [r.get("DefaultProbability") for r in records],
                "is_closed": [r.get("IsClosed") for r in records],
                "is_won": [r.get("IsWon") for r in records],
                "sort_order": [r.get("SortOrder") for r in records],
                "is_active": [r.get("IsActive") for r in records],
            },
            schema={k: v for k, v in STAGE_SCHEMA.items() if not k.startswith("pipeline_")},
        ).with_columns(pl.col("probability") / 100)
        pipelines = self.pipelines()
        if not pipelines:
            return master.with_columns(
                pipeline_id=pl.lit(SINGLE_PIPELINE), pipeline_label=pl.lit(SINGLE_PIPELINE)
            ).select(list(STAGE_SCHEMA))
        carried = self._inactive_stages_in_use(master.filter(~pl.col("is_active"))["stage_id"].to_list())
        frames = []
        for pipeline_id, label, values in pipelines:
            active = pl.col("is_active") & (pl.lit(True) if values is None else pl.col("stage_id").is_in(values))
            in_use = [stage for stage, where in carried.items() if where is None or pipeline_id in where]
            frames.append(
                master.filter(active | pl.col("stage_id").is_in(in_use)).with_columns(
                    pipeline_id=pl.lit(pipeline_id), pipeline_label=pl.lit(label)
                )
            )
        return pl.concat(frames).select(list(STAGE_SCHEMA))

    def _inactive_stages_in_use(self, inactive: list[str]) -> dict[str, set[str] | None]:
        """Inactive stage -> the pipelines (record types) whose opportunities carry it; None: could not tell."""
        if not inactive:
            return {}
        soql = (
            f"SELECT {PIPELINE_FIELD}, StageName FROM Opportunity WHERE {soql_in_filter('StageName', inactive)} "
            f"GROUP BY {PIPELINE_FIELD}, StageName"
        )
        try:
            groups = self._call("the opportunities on inactive stages", self._sf().query_all, soql)["records"]
        except (CredentialsError, QuotaExhausted):
            raise
        except SourceError as exc:
            log.warning("could not tell which record types use inactive stages (%s); offered in every pipeline", exc)
            return dict.fromkeys(inactive)
        carried: dict[str, set[str]] = {}
        for group in groups:
            record_type = group.get(PIPELINE_FIELD)
            carried.setdefault(group["StageName"], set()).add(
                to_18_text(record_type) if record_type else MASTER_RECORD_TYPE
            )
        return dict(carried)

    def pipelines(self) -> list[tuple[str, str, list[str] | None]]:
        """(pipeline id, label, its stage values or None for all) per Opportunity record type; [] without any.

        The master record type is a pipeline too when some opportunity has no record type of its own.
        """
        sf = self._sf()
        try:
            types = self._call(
                "the opportunity record types (RecordType)",
                sf.query_all,
                "SELECT Id, Name, DeveloperName, BusinessProcessId, IsActive FROM RecordType "
                "WHERE SobjectType = 'Opportunity' ORDER BY Name",
            )["records"]
        except (CredentialsError, QuotaExhausted):
            raise
        except SourceError as exc:  # an org (or proxy) that offers no RecordType object: one pipeline
            log.warning("Salesforce record types unreadable (%s); one pipeline", exc)
            return []
        if not types:
            return []
        pipelines = [(to_18_text(t["Id"]), t["Name"], self._stage_values(t["Id"])) for t in types]
        untyped = self._call(
            "opportunities without a record type",
            sf.query,
            f"SELECT COUNT() FROM Opportunity WHERE {PIPELINE_FIELD} = null",
        )["totalSize"]
        if untyped:
            pipelines.append((MASTER_RECORD_TYPE, "Master (no record type)", None))
        return pipelines

    def _stage_values(self, record_type_id: str) -> list[str] | None:
        """The StageName values a record type's sales process includes (UI API picklist values), or None
        (all stages) where the UI API is not available."""
        path = f"ui-api/object-info/Opportunity/picklist-values/{record_type_id}/StageName"
        try:
            values = self._call("the stages of a sales process", self._sf().restful, path)
        except (CredentialsError, QuotaExhausted):
            raise
        except SourceError as exc:
            log.warning("stages of record type %s unreadable (%s); every stage offered", record_type_id, exc)
            return None
        return [v["value"] for v in (values or {}).get("values", [])]

    def org_fx_rates(self) -> pl.DataFrame:
        """The org's own conversion rates (multi-currency orgs): dated ones (DatedConversionRate, advanced
        currency management) where the org keeps them, else the static ones (CurrencyType). `conversion_rate`
        is, as Salesforce keeps it, units of the currency per one unit of the corporate currency. Empty for a
        single-currency org.
        """
        sf = self._sf()
        try:
            types = self._call(
                "the org's currencies (CurrencyType)",
                sf.query_all,
                "SELECT IsoCode, ConversionRate, IsCorporate, IsActive FROM CurrencyType",
            )["records"]
        except (CredentialsError, QuotaExhausted):
            raise
        except SourceError:  # INVALID_TYPE: a single-currency org has no CurrencyType
            return pl.DataFrame(schema=ORG_FX_SCHEMA)
        corporate = next((t["IsoCode"] for t in types if t.get("IsCorporate")), None)
        try:
            dated = self._call(
                "the org's dated exchange rates (DatedConversionRate)",
                sf.query_all,
                "SELECT IsoCode, ConversionRate, StartDate FROM DatedConversionRate ORDER BY IsoCode, StartDate",
            )["records"]
        except (CredentialsError, QuotaExhausted):
            raise
        except SourceError:  # advanced currency management is off: the static rates are the rates
            dated = []
        rows = (
            [(r["IsoCode"], r["StartDate"], r["ConversionRate"], "DatedConversionRate") for r in dated]
            if dated
            else [(t["IsoCode"], None, t["ConversionRate"], "CurrencyType") for t in types]
        )
        frame = pl.DataFrame(
            rows,
            schema={"currency": pl.String, "valid_from": pl.String, "conversion_rate": pl.Float64, "table": pl.String},
            orient="row",
        )
        # A static rate (valid_from null) applies from the beginning; so does a dated rate from 0001-01-01.
        return frame.with_columns(
            pl.col("valid_from").str.to_date("%Y-%m-%d", strict=False),
            pl.lit(corporate, pl.String).alias("corporate_currency"),
        ).select(list(ORG_FX_SCHEMA))

    def owners(self) -> pl.DataFrame:
        records = self._call("the user list", self._sf().query_all, "SELECT Id, Name, Email FROM User")["records"]
        frame = pl.DataFrame(
            {
                "owner_id": [r["Id"] for r in records],
                "name": [r.get("Name") for r in records],
                "email": [r.get("Email") for r in records],
            },
            schema=OWNER_SCHEMA,
        )
        return frame.with_columns(to_18(pl.col("owner_id")).alias("owner_id"))


def to_18_text(record_id: str) -> str:
    """One ID in its 18-character form."""
    return pl.select(to_18(pl.lit(record_id, pl.String))).item()


def pipeline_keys(pipeline_ids: set[str]) -> tuple[str | None, str]:
    """The field naming an opportunity's pipeline, and the pipeline of one where it is empty, given the
    pipelines its stages were mapped in: record types when there are any, else the single pipeline."""
    if pipeline_ids and pipeline_ids != {SINGLE_PIPELINE}:
        return PIPELINE_FIELD, MASTER_RECORD_TYPE
    return None, SINGLE_PIPELINE


def _records_frame(records: list[dict[str, Any]], fields: list[str]) -> pl.DataFrame:
    """Flatten REST records (nested parents become `Account.Name`) into a frame of text columns."""
    if not records:
        return pl.DataFrame(schema=dict.fromkeys(fields, pl.String))
    frame = pl.json_normalize(records, separator=".", infer_schema_length=None)
    return frame.select([c for c in frame.columns if not c.startswith("attributes") and ".attributes." not in c])


def _error_code(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", ""))
    return ""


def _error_message(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("message", "")).strip().splitlines()[-1]
    return str(content)[:200]


def _reason(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def soql_in_filter(field: str, values: list[str]) -> str:
    """A `field IN (...)` filter with every value escaped, so a quote or backslash cannot change the query."""
    return format_soql(f"{field} IN {{}}", values)
