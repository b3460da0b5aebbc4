"""A HubSpot CRM v3 emulator that hubspot-api-client talks to unchanged (plain http via `host=`).

Speaks what shared/reference/crm-wire-formats.md part B describes: object pages with `after`
cursors and repeated `properties` keys, search with filterGroups (200 per page, 10,000-result cap),
pipelines, properties, owners (trailing slash), associations inline (each company twice) and v4
batch, archived records, string property values, rate-limit headers and HubSpot's error bodies.
"""

from __future__ import annotations

import re
import uuid
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sandbox.server import Request, Response, SandboxServer

SEARCH_CAP = 10_000


@dataclass
class HubSpotRecord:
    id: str
    properties: dict[str, str | None]
    created_at: str
    updated_at: str
    archived: bool = False
    archived_at: str | None = None
    # property -> (value, ISO timestamp) oldest first; a property with none has only its current value's entry
    history: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


@dataclass
class HubSpotPortal:
    """The data an emulated portal serves."""

    portal_id: int = 4200001
    name: str = "sandbox.hubspot.example"
    currency: str = "USD"
    time_zone: str = "UTC"
    token: str = "pat-na1-sandbox"
    objects: dict[str, list[HubSpotRecord]] = field(default_factory=dict)
    default_properties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    properties: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    owners: list[dict[str, Any]] = field(default_factory=list)
    deal_companies: dict[str, list[str]] = field(default_factory=dict)  # deal id -> company ids
    daily_limit: int = 650_000


@lru_cache(maxsize=1_000_000)
def _epoch_ms(value: str | None) -> float | None:
    if value in (None, ""):
        return None
    if re.fullmatch(r"\d{10,}", value):
        return float(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000


class HubSpotSandbox(SandboxServer):
    def __init__(self, portal: HubSpotPortal) -> None:
        super().__init__()
        self.portal = portal
        self.calls = 0
        # Sorted by modification time, for the incremental-search shape; rebuilt when records change.
        self._modified_index: dict[str, tuple] = {}

    def handle(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {self.portal.token}":
            return self._error(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
            )
        self.calls += 1
        response = self._route(request)
        response.headers.update(
            {
                "X-HubSpot-RateLimit-Max": "190",
                "X-HubSpot-RateLimit-Remaining": "189",
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                "X-HubSpot-RateLimit-Daily": str(self.portal.daily_limit),
                "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.portal.daily_limit - self.calls)),
            }
        )
        return response

    def _route(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path == "/account-info/v3/details":
            return Response.json(
                {
                    "portalId": self.portal.portal_id,
                    "uiDomain": self.portal.name,
                    "companyCurrency": self.portal.currency,
                    "timeZone": self.portal.time_zone,
                    "utcOffset": "+00:00",
                    "accountType": "SANDBOX",
                    "dataHostingLocation": "na1",
                }
            )
        if m := re.fullmatch(r"/crm/v3/objects/(\w+)/search", path):
            return self._search(m.group(1), request.json()) if method == "POST" else self._not_found()
        if m := re.fullmatch(r"/crm/v3/objects/(\w+)/batch/read", path):
            return self._batch_read(m.group(1), request.json()) if method == "POST" else self._not_found()
        if m := re.fullmatch(r"/crm/v3/objects/(\w+)", path):
            return self._list(m.group(1), request)
        if m := re.fullmatch(r"/crm/v3/pipelines/(\w+)", path):
            return Response.json({"results": self.portal.pipelines}) if m.group(1) == "deals" else self._not_found()
        if m := re.fullmatch(r"/crm/v3/properties/(\w+)", path):
            return Response.json({"results": self.portal.properties.get(m.group(1), [])})
        if path == "/crm/v3/owners/":
            return self._owners(request)
        if path == "/crm/v4/associations/deals/companies/batch/read" and method == "POST":
            return self._association_batch(request.json())
        return self._not_found()

    # -- objects ---------------------------------------------------------------------------
    def _requested_properties(self, object_type: str, request: Request) -> tuple[str, ...]:
        raw = request.query.get("properties", [])
        names = tuple(p for value in raw for p in value.split(",") if p)
        return names or self.portal.default_properties.get(object_type, ())

    def _public(
        self,
        object_type: str,
        record: HubSpotRecord,
        properties: tuple[str, ...],
        associations: bool = False,
        with_history: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": record.id,
            "properties": {name: record.properties.get(name) for name in properties},
            "createdAt": record.created_at,
            "updatedAt": record.updated_at,
            "archived": record.archived,
        }
        if with_history:
            body["propertiesWithHistory"] = {name: self._history(record, name) for name in with_history}
        if record.archived:
            body["archivedAt"] = record.archived_at
        if associations and object_type == "deals" and self.portal.deal_companies.get(record.id):
            results = []
            for company in self.portal.deal_companies[record.id]:
                results += [
                    {"id": company, "type": "deal_to_company"},
                    {"id": company, "type": "deal_to_company_unlabeled"},
                ]
            body["associations"] = {"companies": {"results": results}}
        return body

    @staticmethod
    def _history(record: HubSpotRecord, name: str) -> list[dict[str, Any]]:
        """A property's history as HubSpot sends it: newest first, each value with when and how it was set."""
        entries = record.history.get(name)
        if entries is None:
            current = record.properties.get(name)
            entries = [] if current is None else [(current, record.created_at)]
        return [
            {"value": value, "timestamp": when, "sourceType": "CRM_UI", "sourceId": "userId:1", "updatedByUserId": 1}
            for value, when in reversed(entries)
        ]

    @staticmethod
    def _history_names(request: Request) -> tuple[str, ...]:
        raw = request.query.get("propertiesWithHistory", [])
        return tuple(p for value in raw for p in value.split(",") if p)

    def _batch_read(self, object_type: str, body: dict[str, Any]) -> Response:
        if object_type not in self.portal.objects:
            return self._not_found()
        with_history = tuple(body.get("propertiesWithHistory") or ())
        inputs = body.get("inputs") or []
        if len(inputs) > (50 if with_history else 100):
            return self._error(400, "VALIDATION_ERROR", "Too many inputs in one batch read.")
        by_id = {r.id: r for r in self.portal.objects[object_type] if not r.archived}
        properties = tuple(body.get("properties") or ()) or self.portal.default_properties.get(object_type, ())
        results = [
            self._public(object_type, by_id[str(i["id"])], properties, with_history=with_history)
            for i in inputs
            if str(i.get("id")) in by_id
        ]
        now = "2026-01-01T00:00:00.000Z"
        return Response.json({"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})

    def _list(self, object_type: str, request: Request) -> Response:
        if object_type not in self.portal.objects:
            return self._not_found()
        archived = (request.param("archived", "false") or "false").lower() == "true"
        with_history = self._history_names(request)
        # HubSpot caps a page at 50 when property histories are asked for.
        limit = min(int(request.param("limit", "10") or 10), 50 if with_history else 100)
        after = int(request.param("after", "0") or 0)
        records = [r for r in self.portal.objects[object_type] if r.archived == archived]
        page = records[after : after + limit]
        properties = self._requested_properties(object_type, request)
        with_associations = "companies" in ",".join(request.query.get("associations", []))
        body: dict[str, Any] = {
            "results": [self._public(object_type, r, properties, with_associations, with_history) for r in page]
        }
        if after + limit < len(records):
            body["paging"] = {
                "next": {
                    "after": str(after + limit),
                    "link": f"https://api.hubapi.com/crm/v3/objects/{object_type}?after={after + limit}",
                }
            }
        return Response.json(body)

    def _search(self, object_type: str, body: dict[str, Any]) -> Response:
        if object_type not in self.portal.objects:
            return self._not_found()
        limit = min(int(body.get("limit") or 10), 200)
        after = int(body.get("after") or 0)
        if after + limit > SEARCH_CAP:
            return self._error(
                400,
                "VALIDATION_ERROR",
                f"There was a problem with the request. Paging past {SEARCH_CAP} results is not allowed.",
            )
        groups = body.get("filterGroups") or []
        sorts = body.get("sorts") or []
        window = self._modified_window(groups, sorts)
        if window is not None:
            records = [r for r in self._by_modified(object_type, *window) if not r.archived]
            sorts = []  # already in hs_lastmodifieddate order
        else:
            records = [
                r
                for r in self.portal.objects[object_type]
                if not r.archived
                and (not groups or any(all(self._matches(r, f) for f in g.get("filters", [])) for g in groups))
            ]
        for sort in reversed(sorts):
            name = sort["propertyName"] if isinstance(sort, dict) else sort
            descending = isinstance(sort, dict) and sort.get("direction") == "DESCENDING"
            records.sort(
                key=lambda r, n=name: (
                    _epoch_ms(r.properties.get(n)) if n.endswith("date") else (r.properties.get(n) or ""),
                    int(r.id),
                ),
                reverse=descending,
            )
        page = records[after : after + limit]
        properties = tuple(body.get("properties") or self.portal.default_properties.get(object_type, ()))
        result: dict[str, Any] = {
            "total": len(records),
            "results": [self._public(object_type, r, properties) for r in page],
        }
        if after + limit < len(records):
            result["paging"] = {"next": {"after": str(after + limit), "link": f"?after={after + limit}"}}
        return Response.json(result)

    @staticmethod
    def _modified_window(groups: list, sorts: list) -> tuple[float, float] | None:
        """(start, end) when the search is the incremental-sync shape: one group, GTE/LT on the modified date."""
        if len(groups) != 1 or sorts not in ([], [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]):
            return None
        bounds = {"GTE": float("-inf"), "LT": float("inf")}
        for condition in groups[0].get("filters", []):
            if condition.get("propertyName") != "hs_lastmodifieddate" or condition.get("operator") not in bounds:
                return None
            bounds[condition["operator"]] = _epoch_ms(condition.get("value"))
        return bounds["GTE"], bounds["LT"]

    def _by_modified(self, object_type: str, start: float, end: float) -> list[HubSpotRecord]:
        records = self.portal.objects[object_type]
        fingerprint = (len(records), records[0].id if records else None, sum(1 for r in records if r.archived))
        cached = self._modified_index.get(object_type)
        if cached is None or cached[0] != fingerprint:
            ordered = sorted(
                records, key=lambda r: (_epoch_ms(r.properties.get("hs_lastmodifieddate")) or 0, int(r.id))
            )
            keys = [_epoch_ms(r.properties.get("hs_lastmodifieddate")) or 0 for r in ordered]
            cached = (fingerprint, keys, ordered)
            self._modified_index[object_type] = cached
        _, keys, ordered = cached
        return ordered[bisect_left(keys, start) : bisect_left(keys, end)]

    @staticmethod
    def _matches(record: HubSpotRecord, condition: dict[str, Any]) -> bool:
        name, op = condition["propertyName"], condition["operator"]
        raw = record.id if name == "hs_object_id" else record.properties.get(name)
        if op == "HAS_PROPERTY":
            return raw not in (None, "")
        if op == "NOT_HAS_PROPERTY":
            return raw in (None, "")
        if name.endswith("date") or name == "hs_lastmodifieddate":
            value, target = _epoch_ms(raw), _epoch_ms(condition.get("value"))
            high = _epoch_ms(condition.get("highValue"))
        elif name == "hs_object_id":
            value, target, high = int(raw), int(condition.get("value", 0)), None
        else:
            value, target, high = raw, condition.get("value"), condition.get("highValue")
        if op == "IN":
            return raw in condition.get("values", [])
        if op == "NOT_IN":
            return raw not in condition.get("values", [])
        if value is None:
            return op == "NEQ"
        return {
            "EQ": lambda: value == target,
            "NEQ": lambda: value != target,
            "LT": lambda: value < target,
            "LTE": lambda: value <= target,
            "GT": lambda: value > target,
            "GTE": lambda: value >= target,
            "BETWEEN": lambda: target <= value <= high,
        }[op]()

    def _owners(self, request: Request) -> Response:
        limit = int(request.param("limit", "100") or 100)
        after = int(request.param("after", "0") or 0)
        # `archived=true` lists only deactivated owners, the default only active ones.
        archived = (request.param("archived", "false") or "false").lower() == "true"
        owners = [o for o in self.portal.owners if bool(o.get("archived")) == archived]
        body: dict[str, Any] = {"results": owners[after : after + limit]}
        if after + limit < len(owners):
            body["paging"] = {"next": {"after": str(after + limit)}}
        return Response.json(body)

    def _association_batch(self, body: dict[str, Any]) -> Response:
        results = []
        for item in body.get("inputs", []):
            companies = self.portal.deal_companies.get(item["id"], [])
            results.append(
                {
                    "from": {"id": item["id"]},
                    "to": [
                        {
                            "toObjectId": int(c),
                            "associationTypes": [
                                {"category": "HUBSPOT_DEFINED", "typeId": 5, "label": "Primary"},
                                {"category": "HUBSPOT_DEFINED", "typeId": 341, "label": None},
                            ],
                        }
                        for c in companies
                    ],
                }
            )
        now = datetime.now(UTC).isoformat()
        return Response.json({"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})

    # -- errors ----------------------------------------------------------------------------
    def _not_found(self) -> Response:
        return self._error(404, "OBJECT_NOT_FOUND", "Object not found.")

    @staticmethod
    def _error(status: int, category: str, message: str) -> Response:
        return Response.json(
            {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}, status
        )

    @staticmethod
    def rate_limited(retry_after: int = 1) -> dict[str, Any]:
        """Arguments for inject(...) that make a request answer 429 with Retry-After."""
        return {
            "status": 429,
            "headers": {"Retry-After": str(retry_after)},
            "payload": {
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": "TEN_SECONDLY_ROLLING",
            },
        }
