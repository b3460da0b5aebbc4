"""HubSpot through hubspot-api-client (private-app token): objects, pipelines, properties, owners.

Full reads page the object list by `after`; incremental reads use the search API on
hs_lastmodifieddate in time windows that are halved until each holds at most 10,000 results, so
the search cap never truncates silently. Archived records never appear in search, so they are swept
from the archived list and returned as tombstones. 429s are retried honouring Retry-After (urllib3).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import urllib3
from hubspot import HubSpot
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
from domain.source_kinds import SourceKind
from domain.timestamps import known_time_zone

log = logging.getLogger(__name__)

SEARCH_CAP = 10_000
STAGE_PROPERTY = "dealstage"
HISTORY_PAGE = 50  # HubSpot's page and batch size when a property's history is asked for
MODIFIED = "hs_lastmodifieddate"
OWNER_PROPERTY = "hubspot_owner_id"
COMPANY_COLUMN = "associated_company_id"
# Columns a read adds beyond the object's properties: the deal's primary company, and the owner's e-mail and
# name resolved from hubspot_owner_id (owners are matched by e-mail, as Salesforce's Owner.Email is).
OWNER_COLUMNS = {"owner.email": "email", "owner.name": "name"}
EXTRA_FIELDS = {
    "deals": (FieldInfo(COMPANY_COLUMN, "Associated company (primary)", "string"),),
    "owned": (FieldInfo("owner.email", "Owner e-mail", "email"), FieldInfo("owner.name", "Owner name", "string")),
}


@dataclass(frozen=True)
class HubSpotSettings:
    """Non-secret settings. host: the API host (production, a proxy, or a local sandbox)."""

    host: str = "https://api.hubapi.com"
    lookback_minutes: int = 10
    page_size: int = 100
    search_page_size: int = 200
    max_retries: int = 5


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class HubSpotConnector:
    kind = SourceKind.HUBSPOT

    def __init__(self, settings: dict[str, Any], secrets: dict[str, str], *, source_key: str) -> None:
        self.settings = settings_from_dict(HubSpotSettings, settings)
        self._token = secrets.get("access_token", "")
        self.source_key = source_key
        self.api_calls = 0
        retry = Retry(
            total=self.settings.max_retries,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=None,
            backoff_factor=0.3,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self._api = HubSpot(access_token=self._token, host=self.settings.host.rstrip("/"), retry=retry)
        self._details: dict[str, Any] | None = None
        self._owners: pl.DataFrame | None = None

    # -- errors ----------------------------------------------------------------------------
    def _call(self, what: str, function, *args, **kwargs):
        """Run one client call; every failure becomes a typed error that names `what`."""
        if not self._token:
            raise CredentialsError("This HubSpot connection has no private-app token.", hint="Enter it in Connect.")
        try:
            result = function(*args, **kwargs)
            self.api_calls += 1
        except urllib3.exceptions.HTTPError as exc:  # dropped connection, refused, retries exhausted on a socket
            raise SourceUnavailable(
                f"The connection to HubSpot failed while reading {what}: {_reason(exc)}. Nothing "
                "from this read was used."
            ) from exc
        except (ValueError, json.JSONDecodeError) as exc:
            raise SourceUnavailable(
                f"HubSpot sent a response that is not valid JSON for {what}; nothing from this read was used."
            ) from exc
        except Exception as exc:  # each API package has its own ApiException class, with no common base
            status = getattr(exc, "status", None)
            if status is None:
                raise
            body = _body(exc)
            if status == 401:
                raise CredentialsError(
                    "HubSpot credential expired or rotated — re-authorize in Connect.",
                    hint=f"HubSpot answered 401 while reading {what}.",
                ) from exc
            if status == 403:
                raise CredentialsError(
                    f"HubSpot refused access to {what}: {body.get('message', 'missing scopes')}",
                    hint="Give the private app the crm.objects.*.read scopes.",
                ) from exc
            if status == 429:
                raise QuotaExhausted(
                    f"HubSpot kept answering 'rate limit reached' while reading {what}.",
                    hint="The sync stopped before saving anything; the next run resumes from the same point.",
                ) from exc
            if status >= 500 or status == 0:
                raise SourceUnavailable(
                    f"HubSpot failed while reading {what} (HTTP {status}); nothing from this read was used."
                ) from exc
            raise SourceError(f"HubSpot rejected the request for {what}: {body.get('message', status)}") from exc
        # The client turns a body it cannot parse into an empty model instead of raising.
        if hasattr(result, "results") and result.results is None:
            raise SourceUnavailable(
                f"HubSpot sent a response that is not valid JSON for {what}; nothing from this read was used."
            )
        return result

    # -- connection ------------------------------------------------------------------------
    def _account_details(self):
        """The portal's account details (portal id, time zone, currency), read once per connector."""
        response = self._call(
            "the account details",
            self._api.api_request,
            {"path": "/account-info/v3/details", "base_url": self.settings.host.rstrip("/")},
        )
        if response.status_code == 401:
            raise CredentialsError("HubSpot refused the private-app token.", hint="Paste a current token in Connect.")
        self._details = response.json() if response.ok else {}
        return response

    def time_zone(self) -> str:
        """The portal's time zone (account details `timeZone`): dates HubSpot shows are dates there."""
        if self._details is None:
            self._account_details()
        return known_time_zone((self._details or {}).get("timeZone"))

    def test_connection(self) -> ConnectionCheck:
        try:
            response = self._account_details()
            details = self._details or {}
            pipelines = self._call(
                "the deal pipelines", self._api.crm.pipelines.pipelines_api.get_all, object_type="deals"
            )
        except SourceError as exc:
            return ConnectionCheck(ok=False, headline=exc.user_message, details=(exc.hint,) if exc.hint else ())
        remaining = response.headers.get("X-HubSpot-RateLimit-Daily-Remaining")
        daily = response.headers.get("X-HubSpot-RateLimit-Daily")
        budget = f" · {int(remaining):,} of {int(daily):,} daily API calls left" if remaining and daily else ""
        portal = details.get("uiDomain") or "HubSpot portal"
        return ConnectionCheck(
            ok=True,
            headline=f"Connected to {portal} (portal {details.get('portalId', '?')}){budget}",
            details=(f"Readable: deals, companies, owners; {len(pipelines.results)} deal pipeline(s)",),
            objects=(ObjectInfo("deals", "Deals", ()), ObjectInfo("companies", "Companies", ())),
        )

    def _property_names(self, object_type: str) -> list[str]:
        result = self._call(
            f"the {object_type} properties",
            self._api.crm.properties.core_api.get_all,
            object_type=object_type,
            archived=False,
        )
        return [p.name for p in result.results]

    def describe(self) -> list[ObjectInfo]:
        objects = []
        for object_type in ("deals", "companies"):
            result = self._call(
                f"the {object_type} properties",
                self._api.crm.properties.core_api.get_all,
                object_type=object_type,
                archived=False,
            )
            fields = tuple(
                FieldInfo(
                    name=p.name,
                    label=p.label or p.name,
                    type=p.type or "string",
                    custom=not bool(p.hubspot_defined),
                    picklist_values=tuple(o.value for o in (p.options or [])),
                )
                for p in result.results
            )
            objects.append(
                ObjectInfo(
                    object_type, object_type.title(), fields + self.extra_fields(object_type, [f.name for f in fields])
                )
            )
        return objects

    @staticmethod
    def extra_fields(object_type: str, properties: list[str]) -> tuple[FieldInfo, ...]:
        """Fields a read of this object adds beyond its properties (see EXTRA_FIELDS)."""
        return EXTRA_FIELDS.get(object_type, ()) + (EXTRA_FIELDS["owned"] if OWNER_PROPERTY in properties else ())

    # -- reading ---------------------------------------------------------------------------
    def read(self, object_type: str, *, since: datetime | None = None) -> pl.DataFrame:
        """All records of `object_type` (or those modified since `since`, minus the look-back), plus tombstones."""
        properties = self._property_names(object_type)
        start = None if since is None else since - timedelta(minutes=self.settings.lookback_minutes)
        if start is None:
            rows = self._list_all(object_type, properties, archived=False)
        else:
            rows = self._search_since(object_type, properties, start)
            if object_type == "deals":
                self._attach_companies(rows)
        # Archiving a deal need not move its updatedAt: the sweep goes by when it was archived.
        tombstones = [
            r
            for r in self._list_all(object_type, properties, archived=True)
            if start is None or (r["_updated"] and r["_updated"] >= start)
        ]
        frame = self._frame(object_type, rows + tombstones, properties)
        return self._with_owners(frame) if OWNER_PROPERTY in frame.columns else frame

    def _record(self, item, with_associations: bool) -> dict[str, Any]:
        row = dict(item.properties or {})
        row["_id"] = str(item.id)
        row["_archived"] = bool(item.archived)
        row["_updated"] = (getattr(item, "archived_at", None) or item.updated_at) if item.archived else item.updated_at
        if with_associations:
            companies = (item.associations or {}).get("companies") if item.associations else None
            results = companies.results if companies is not None else []
            # HubSpot lists each company twice (labelled primary and unlabelled); keep the primary first.
            ordered = sorted(results, key=lambda a: a.type != "deal_to_company")
            row["associated_company_id"] = next((str(a.id) for a in ordered), None)
        return row

    def _list_all(self, object_type: str, properties: list[str], *, archived: bool) -> list[dict[str, Any]]:
        basic = self._api.crm.objects.basic_api
        associations = ["companies"] if object_type == "deals" and not archived else None
        rows, after, page_no = [], None, 0
        while True:
            page_no += 1
            page = self._call(
                f"{object_type} ({'archived, ' if archived else ''}page {page_no})",
                basic.get_page,
                object_type=object_type,
                limit=self.settings.page_size,
                after=after,
                properties=properties,
                associations=associations,
                archived=archived,
            )
            rows += [self._record(item, associations is not None) for item in page.results]
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return rows

    def _search_total(self, object_type: str, start_ms: int, end_ms: int) -> int:
        result = self._call(
            f"the {object_type} change count",
            self._api.crm.objects.search_api.do_search,
            object_type=object_type,
            public_object_search_request=self._search_body(start_ms, end_ms, [], 1, 0),
        )
        return int(result.total)

    @staticmethod
    def _search_body(start_ms: int, end_ms: int, properties: list[str], limit: int, after: int) -> dict[str, Any]:
        return {
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": MODIFIED, "operator": "GTE", "value": str(start_ms)},
                        {"propertyName": MODIFIED, "operator": "LT", "value": str(end_ms)},
                    ]
                }
            ],
            "sorts": [{"propertyName": MODIFIED, "direction": "ASCENDING"}],
            "properties": properties,
            "limit": limit,
            "after": str(after),
        }

    def _windows(self, object_type: str, start_ms: int, end_ms: int) -> list[tuple[int, int]]:
        """Split [start, end) until no window holds more than the search cap."""
        total = self._search_total(object_type, start_ms, end_ms)
        if total <= SEARCH_CAP:
            return [(start_ms, end_ms)] if total else []
        if end_ms - start_ms <= 1:
            raise SourceError(
                f"More than {SEARCH_CAP:,} {object_type} share one modification time.",
                hint="Run a full sync instead of an incremental one.",
            )
        middle = (start_ms + end_ms) // 2
        return self._windows(object_type, start_ms, middle) + self._windows(object_type, middle, end_ms)

    def _search_since(self, object_type: str, properties: list[str], start: datetime) -> list[dict[str, Any]]:
        end_ms = _ms(datetime.now(UTC)) + 1
        search = self._api.crm.objects.search_api
        seen: dict[str, dict[str, Any]] = {}
        for window_start, window_end in self._windows(object_type, _ms(start), end_ms):
            after = 0
            while True:
                body = self._search_body(window_start, window_end, properties, self.settings.search_page_size, after)
                page = self._call(
                    f"changed {object_type}",
                    search.do_search,
                    object_type=object_type,
                    public_object_search_request=body,
                )
                for item in page.results:
                    seen[str(item.id)] = self._record(item, False)
                if not (page.paging and page.paging.next):
                    break
                after = int(page.paging.next.after)
        return list(seen.values())

    def stage_history(self, object_type: str, *, since: datetime | None = None) -> pl.DataFrame | None:
        """The stages each deal entered (the dealstage property's history: every value with when it was set), for
        the deals changed since `since` (minus the look-back) when given; None for objects without a deal stage.

        A full read pages the deal list with the history (50 a page); an incremental one finds the deals changed
        through search and reads their history in batches of 50, so its cost follows the changes."""
        if object_type != "deals":
            return None
        entries: list[tuple[str, str, datetime]] = []
        if since is None:
            basic, after, page_no = self._api.crm.objects.basic_api, None, 0
            while True:
                page_no += 1
                page = self._call(
                    f"the deal stage history (page {page_no})",
                    basic.get_page,
                    object_type="deals",
                    limit=HISTORY_PAGE,
                    after=after,
                    properties=[STAGE_PROPERTY],
                    properties_with_history=[STAGE_PROPERTY],
                    archived=False,
                )
                entries += _stage_entries(page.results)
                after = page.paging.next.after if page.paging and page.paging.next else None
                if not after:
                    break
        else:
            start = since - timedelta(minutes=self.settings.lookback_minutes)
            ids = [row["_id"] for row in self._search_since("deals", [STAGE_PROPERTY], start)]
            batch = self._api.crm.objects.batch_api
            for first in range(0, len(ids), HISTORY_PAGE):
                result = self._call(
                    "the deal stage history (batch)",
                    batch.read,
                    object_type="deals",
                    batch_read_input_simple_public_object_id={
                        "inputs": [{"id": i} for i in ids[first : first + HISTORY_PAGE]],
                        "properties": [STAGE_PROPERTY],
                        "propertiesWithHistory": [STAGE_PROPERTY],
                    },
                    archived=False,
                )
                entries += _stage_entries(result.results)
        return pl.DataFrame(entries, schema=STAGE_HISTORY_SCHEMA, orient="row").drop_nulls()

    def _attach_companies(self, rows: list[dict[str, Any]]) -> None:
        """Search results carry no associations: fetch them in batches of 100 (v4 batch read)."""
        batch_api = self._api.crm.associations.v4.batch_api
        by_id = {row["_id"]: row for row in rows}
        ids = list(by_id)
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            result = self._call(
                "deal → company associations",
                batch_api.get_page,
                from_object_type="deals",
                to_object_type="companies",
                batch_input_public_fetch_associations_batch_request={"inputs": [{"id": i} for i in chunk]},
            )
            for item in result.results:
                primary = sorted(item.to, key=lambda t: 0 if any(a.type_id == 5 for a in t.association_types) else 1)
                by_id[str(item._from.id)]["associated_company_id"] = str(primary[0].to_object_id) if primary else None

    def _frame(self, object_type: str, rows: list[dict[str, Any]], properties: list[str]) -> pl.DataFrame:
        # A deal read always has its company column, even when no deal in it has a company (a window holding
        # only archived deals or company-less deals), so the mapping finds the field it maps.
        columns = properties + [f.name for f in EXTRA_FIELDS.get(object_type, ())]
        frame = pl.DataFrame({c: [r.get(c) for r in rows] for c in columns}, schema=dict.fromkeys(columns, pl.String))
        frame = frame.with_columns(
            pl.lit(self.source_key).alias("source"),
            pl.Series("source_id", [r["_id"] for r in rows], pl.String),
            pl.Series("source_modified_at", [r["_updated"] for r in rows], pl.Datetime("us", "UTC")),
            pl.Series("is_deleted", [r["_archived"] for r in rows], pl.Boolean),
        )
        # A record can be both changed and archived within the window: the tombstone wins.
        return frame.sort("is_deleted").unique("source_id", keep="last", maintain_order=True)

    def stages(self) -> pl.DataFrame:
        """Stages per pipeline, keyed by internal id (labels are not keys), archived ones kept."""
        pipelines = self._call(
            "the deal pipelines", self._api.crm.pipelines.pipelines_api.get_all, object_type="deals"
        ).results
        rows = []
        for pipeline in pipelines:
            for stage in pipeline.stages:
                metadata = stage.metadata or {}
                raw = metadata.get("probability")
                probability = float(raw) if raw not in (None, "") else None
                closed = str(metadata.get("isClosed", "false")).lower() == "true"
                rows.append(
                    {
                        "pipeline_id": pipeline.id,
                        "pipeline_label": pipeline.label,
                        "stage_id": stage.id,
                        "label": stage.label,
                        "probability": probability,
                        "is_closed": closed,
                        # Won is not in the metadata: a closed stage at 100% (or HubSpot's closedwon) is won.
                        "is_won": closed and (probability == 1.0 or stage.id == "closedwon"),
                        "sort_order": stage.display_order,
                        "is_active": not stage.archived,
                    }
                )
        return pl.DataFrame(rows, schema=STAGE_SCHEMA)

    def owners(self) -> pl.DataFrame:
        """Every owner, active and deactivated (old deals keep a deactivated owner's id), read once."""
        if self._owners is not None:
            return self._owners
        owners_api, rows = self._api.crm.owners.owners_api, []
        for archived in (False, True):
            after = None
            while True:
                page = self._call("the owner list", owners_api.get_page, limit=100, after=after, archived=archived)
                rows += [
                    {
                        "owner_id": str(o.id),
                        "name": " ".join(p for p in (o.first_name, o.last_name) if p) or None,
                        "email": o.email,
                    }
                    for o in page.results
                ]
                after = page.paging.next.after if page.paging and page.paging.next else None
                if not after:
                    break
        self._owners = pl.DataFrame(rows, schema=OWNER_SCHEMA).unique("owner_id", keep="first", maintain_order=True)
        return self._owners

    def _with_owners(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Add the owner's e-mail and name next to hubspot_owner_id (null when the id is no owner HubSpot lists)."""
        owners = self.owners() if frame[OWNER_PROPERTY].drop_nulls().len() else pl.DataFrame(schema=OWNER_SCHEMA)
        return frame.with_columns(
            pl.col(OWNER_PROPERTY)
            .replace_strict(owners["owner_id"], owners[column], default=None, return_dtype=pl.String)
            .alias(name)
            for name, column in OWNER_COLUMNS.items()
        )


def _stage_entries(results: list[Any]) -> list[tuple[str, str, datetime]]:
    """(deal id, stage id, when it was set) for every value in each deal's dealstage history."""
    return [
        (str(item.id), value.value, value.timestamp)
        for item in results
        for value in ((item.properties_with_history or {}).get(STAGE_PROPERTY) or [])
        if value.value
    ]


def _body(exc: Exception) -> dict[str, Any]:
    try:
        return json.loads(getattr(exc, "body", "") or "{}")
    except ValueError:
        return {}


def _reason(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
