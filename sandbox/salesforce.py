"""A Salesforce REST emulator that simple-salesforce talks to unchanged.

Speaks what shared/reference/crm-wire-formats.md part A describes: SOAP and OAuth login, query and
queryAll with nextRecordsUrl paging, describe, limits with Sforce-Limit-Info, Bulk API 2.0 query
jobs with CSV results, and Salesforce's JSON error arrays. simple-salesforce always builds https
URLs, so clients reach it through a session that routes https to this http server.
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from sandbox import soql
from sandbox.server import Request, Response, SandboxServer

API_VERSION = "59.0"
# The master record type: what a record with no record type of its own uses.
MASTER_RECORD_TYPE = "012000000000000AAA"


@dataclass(frozen=True)
class SField:
    """A field as describe() reports it."""

    name: str
    type: str = "string"
    label: str = ""
    picklist: tuple[str, ...] = ()
    reference_to: str | None = None
    relationship: str | None = None
    inactive: tuple[str, ...] = ()  # picklist values that were deactivated (still on old records)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label or self.name,
            "type": self.type,
            "custom": self.name.endswith("__c"),
            "nillable": self.name not in {"Id", "Name"},
            "referenceTo": [self.reference_to] if self.reference_to else [],
            "relationshipName": self.relationship,
            "picklistValues": [
                {"active": v not in self.inactive, "defaultValue": False, "label": v, "value": v, "validFor": None}
                for v in self.picklist
            ],
            "length": 255 if self.type in {"string", "picklist", "textarea"} else 0,
            "calculated": False,
            "filterable": True,
            "createable": self.name not in {"Id", "IsDeleted"},
        }


@dataclass
class SObject:
    name: str
    label: str
    key_prefix: str
    fields: list[SField]
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def field_names(self) -> set[str]:
        return {f.name for f in self.fields}

    def relationships(self) -> dict[str, tuple[str, str]]:
        """Relationship name -> (lookup field, target object), e.g. Account -> (AccountId, Account)."""
        return {f.relationship: (f.name, f.reference_to) for f in self.fields if f.relationship and f.reference_to}


@dataclass
class SalesforceOrg:
    """The data and settings an emulated org serves."""

    name: str = "Sandbox Org"
    objects: dict[str, SObject] = field(default_factory=dict)
    username: str = "admin@sandbox.example"
    password: str = "password"
    security_token: str = "TOKEN"
    consumer_key: str = "sandbox-consumer-key"
    consumer_secret: str = "sandbox-consumer-secret"
    daily_api_max: int = 1_000_000
    default_batch_size: int = 2000
    # Business process id -> the StageName values that sales process includes (Setup holds them, not SOQL:
    # clients read them per record type through the UI API's picklist-values resource).
    business_process_stages: dict[str, list[str]] = field(default_factory=dict)


class SalesforceSandbox(SandboxServer):
    """Serve one SalesforceOrg on 127.0.0.1."""

    def __init__(self, org: SalesforceOrg) -> None:
        super().__init__()
        self.org = org
        self.sessions: set[str] = set()
        self.api_calls = 0
        self._cursors: dict[str, tuple[list[dict], bool]] = {}
        self._jobs: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._index: dict[str, dict[str, dict]] = {}

    # -- helpers for tests and the demo ----------------------------------------------------
    def issue_session(self) -> str:
        """A valid session id, as if a user had logged in (for session-id + instance URL auth)."""
        token = f"00D{next(self._ids):012d}!{secrets.token_urlsafe(12)}"
        self.sessions.add(token)
        return token

    def expire_sessions(self) -> None:
        """Every current session becomes invalid (a rotated credential or an expired token)."""
        self.sessions.clear()

    def records(self, object_name: str) -> list[dict[str, Any]]:
        return self.org.objects[object_name].records

    def reindex(self) -> None:
        """Forget the id index after tests change records directly."""
        self._index.clear()

    # -- routing ---------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path
        if request.method == "POST" and re.fullmatch(r"/services/Soap/u/[\d.]+", path):
            return self._soap_login(request)
        if request.method == "POST" and path == "/services/oauth2/token":
            return self._oauth_token(request)
        match = re.fullmatch(r"/services/data/v([\d.]+)(/.*)?", path)
        if not match:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token not in self.sessions:
            return self._error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        self.api_calls += 1
        if self.api_calls > self.org.daily_api_max:
            return self._error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        response = self._data(request, match.group(2) or "/")
        response.headers["Sforce-Limit-Info"] = f"api-usage={self.api_calls}/{self.org.daily_api_max}"
        return response

    def _data(self, request: Request, rest: str) -> Response:
        if rest in {"/sobjects", "/sobjects/"}:
            return Response.json(self._describe_global())
        if m := re.fullmatch(r"/sobjects/(\w+)/describe/?", rest):
            return self._describe(m.group(1))
        if m := re.fullmatch(r"/ui-api/object-info/(\w+)/picklist-values/(\w+)/(\w+)/?", rest):
            return self._picklist_values(m.group(1), m.group(2), m.group(3))
        if m := re.fullmatch(r"/(query|queryAll)/?", rest):
            return self._query(request.param("q", ""), include_deleted=m.group(1) == "queryAll", request=request)
        if m := re.fullmatch(r"/(?:query|queryAll)/([\w.-]+)", rest):
            return self._query_more(m.group(1))
        if rest.rstrip("/") == "/limits":
            return Response.json(self._limits())
        if rest.rstrip("/") == "/jobs/query" and request.method == "POST":
            return self._create_job(request.json())
        if m := re.fullmatch(r"/jobs/query/(\w+)", rest):
            job = self._jobs.get(m.group(1))
            return Response.json(job["info"]) if job else self._error(404, "NOT_FOUND", "job not found")
        if m := re.fullmatch(r"/jobs/query/(\w+)/results", rest):
            return self._job_results(m.group(1), request)
        return self._error(404, "NOT_FOUND", "The requested resource does not exist")

    # -- auth ------------------------------------------------------------------------------
    def _server_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/services/Soap/u/{API_VERSION}/00D000000000001"

    def _soap_login(self, request: Request) -> Response:
        body = request.body.decode()
        username = re.search(r"<(?:\w+:)?username>(.*?)</", body, re.S)
        password = re.search(r"<(?:\w+:)?password>(.*?)</", body, re.S)
        expected = self.org.password + self.org.security_token
        if not username or not password or username.group(1) != self.org.username or password.group(1) != expected:
            fault = (
                "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv="
                "'http://schemas.xmlsoap.org/soap/envelope/' xmlns:sf='urn:fault.partner.soap.sforce.com'>"
                "<soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: "
                "Invalid username, password, security token; or user locked out.</faultstring><detail>"
                "<sf:LoginFault><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid "
                "username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault>"
                "</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
            )
            return Response(500, fault.encode(), {"Content-Type": "text/xml"})
        session = self.issue_session()
        xml = (
            "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv="
            "'http://schemas.xmlsoap.org/soap/envelope/' xmlns='urn:partner.soap.sforce.com'><soapenv:Body>"
            f"<loginResponse><result><serverUrl>{self._server_url()}</serverUrl><sessionId>{session}</sessionId>"
            f"<userId>005000000000001AAA</userId><userInfo><organizationName>{self.org.name}</organizationName>"
            "</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"
        )
        return Response(200, xml.encode(), {"Content-Type": "text/xml"})

    def _oauth_token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in urllib.parse.parse_qs(request.body.decode()).items()}
        key, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic "):
            key, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        ok = key == self.org.consumer_key and secret == self.org.consumer_secret
        if form.get("grant_type") == "password":
            ok = (
                ok
                and form.get("username") == self.org.username
                and form.get("password", "").startswith(self.org.password)
            )
        if not ok:
            return Response.json({"error": "invalid_client", "error_description": "invalid client credentials"}, 400)
        return Response.json(
            {
                "access_token": self.issue_session(),
                "instance_url": f"https://127.0.0.1:{self.port}",
                "id": "https://login.salesforce.com/id/00D000000000001EAA/005000000000001AAA",
                "token_type": "Bearer",
                "issued_at": "1718000000000",
                "signature": "c2ln",
            }
        )

    # -- describe, limits --------------------------------------------------------------------
    def _describe_global(self) -> dict[str, Any]:
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [
                {
                    "name": o.name,
                    "label": o.label,
                    "labelPlural": o.label + "s",
                    "keyPrefix": o.key_prefix,
                    "custom": o.name.endswith("__c"),
                    "queryable": True,
                    "retrieveable": True,
                    "searchable": True,
                    "urls": {
                        "sobject": f"/services/data/v{API_VERSION}/sobjects/{o.name}",
                        "describe": f"/services/data/v{API_VERSION}/sobjects/{o.name}/describe",
                    },
                }
                for o in self.org.objects.values()
            ],
        }

    def _describe(self, name: str) -> Response:
        obj = self.org.objects.get(name)
        if obj is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        return Response.json(
            {
                "name": obj.name,
                "label": obj.label,
                "keyPrefix": obj.key_prefix,
                "custom": obj.name.endswith("__c"),
                "queryable": True,
                "fields": [f.describe() for f in obj.fields],
                "childRelationships": [],
                "recordTypeInfos": self._record_type_infos(obj.name),
            }
        )

    def _record_types(self, object_name: str) -> list[dict[str, Any]]:
        holder = self.org.objects.get("RecordType")
        return [r for r in holder.records if r.get("SobjectType") == object_name] if holder else []

    def _record_type_infos(self, object_name: str) -> list[dict[str, Any]]:
        """describe's recordTypeInfos: the object's record types plus Master, as Salesforce lists them."""
        types = self._record_types(object_name)
        if not types:
            return []
        infos = [
            {
                "active": bool(r.get("IsActive", True)),
                "available": True,
                "defaultRecordTypeMapping": i == 0,
                "developerName": r["DeveloperName"],
                "master": False,
                "name": r["Name"],
                "recordTypeId": r["Id"],
                "urls": {"layout": f"/services/data/v{API_VERSION}/sobjects/{object_name}/describe/layouts/{r['Id']}"},
            }
            for i, r in enumerate(types)
        ]
        return infos + [
            {
                "active": True,
                "available": True,
                "defaultRecordTypeMapping": False,
                "developerName": "Master",
                "master": True,
                "name": "Master",
                "recordTypeId": MASTER_RECORD_TYPE,
                "urls": {
                    "layout": f"/services/data/v{API_VERSION}/sobjects/{object_name}/describe/layouts/"
                    f"{MASTER_RECORD_TYPE}"
                },
            }
        ]

    def _picklist_values(self, object_name: str, record_type_id: str, field_name: str) -> Response:
        """UI API `object-info/{object}/picklist-values/{recordTypeId}/{field}`: the active values a record of
        that record type may take. For StageName they are the stages of the record type's sales process."""
        obj = self.org.objects.get(object_name)
        described = next((f for f in obj.fields if f.name == field_name), None) if obj else None
        if described is None or described.type not in {"picklist", "multipicklist"}:
            return Response.json([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], 404)
        values = [v for v in described.picklist if v not in described.inactive]
        if record_type_id != MASTER_RECORD_TYPE:
            record_type = next((r for r in self._record_types(object_name) if r["Id"] == record_type_id), None)
            if record_type is None:
                return Response.json([{"errorCode": "INVALID_ID_FIELD", "message": "invalid record type id"}], 400)
            process = record_type.get("BusinessProcessId")
            if field_name == "StageName" and process in self.org.business_process_stages:
                values = [v for v in values if v in self.org.business_process_stages[process]]
        return Response.json(
            {
                "controllerValues": {},
                "defaultValue": None,
                "eTag": secrets.token_hex(8),
                "url": f"/services/data/v{API_VERSION}/ui-api/object-info/{object_name}/picklist-values/"
                f"{record_type_id}/{field_name}",
                "values": [{"attributes": None, "label": v, "validFor": [], "value": v} for v in values],
            }
        )

    def _limits(self) -> dict[str, Any]:
        remaining = max(0, self.org.daily_api_max - self.api_calls)
        return {
            "DailyApiRequests": {"Max": self.org.daily_api_max, "Remaining": remaining},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000 - len(self._jobs)},
            "DataStorageMB": {"Max": 1024, "Remaining": 1000},
        }

    # -- query -----------------------------------------------------------------------------
    def _lookup(self, object_name: str, record_id: Any) -> dict | None:
        if record_id is None:
            return None
        index = self._index.get(object_name)
        if index is None:
            index = {r["Id"]: r for r in self.org.objects[object_name].records}
            self._index[object_name] = index
        return index.get(record_id)

    def _run(self, text: str, include_deleted: bool) -> tuple[soql.Query, SObject, list[dict]]:
        query = soql.parse(text)
        obj = self.org.objects.get(query.object_name)
        if obj is None:
            raise soql.SoqlError("INVALID_TYPE", f"sObject type '{query.object_name}' is not supported.")
        relationships = obj.relationships()
        for name in query.fields + [f for f, _ in query.order_by]:
            head, _, tail = name.partition(".")
            known = (
                (name in obj.field_names)
                if not tail
                else (head in relationships and tail in self.org.objects[relationships[head][1]].field_names)
            )
            if not known:
                raise soql.SoqlError(
                    "INVALID_FIELD",
                    f"\n{text}\n^\nERROR at Row:1:Column:1\nNo such column '{name}' on entity '{obj.name}'.",
                )

        def get(record: dict, name: str) -> Any:
            head, _, tail = name.partition(".")
            if not tail:
                return record.get(name)
            lookup_field, target = relationships[head]
            parent = self._lookup(target, record.get(lookup_field))
            return None if parent is None else parent.get(tail)

        rows = [
            r for r in obj.records if (include_deleted or not r.get("IsDeleted")) and soql.matches(query.where, r, get)
        ]
        for name, descending in reversed(query.order_by):
            rows.sort(key=lambda r, n=name: (get(r, n) is None, get(r, n) or ""), reverse=descending)
        if query.group_by:
            distinct = {tuple(get(r, f) for f in query.group_by): None for r in rows}
            groups = [
                {"attributes": {"type": "AggregateResult"}, **dict(zip(query.group_by, key, strict=True))}
                for key in distinct
            ]
            return query, obj, groups[: query.limit] if query.limit is not None else groups
        if query.limit is not None:
            rows = rows[: query.limit]
        return query, obj, [self._render(obj, query.fields, row, get, relationships) for row in rows]

    def _render(self, obj: SObject, fields: list[str], row: dict, get, relationships) -> dict:
        out: dict[str, Any] = {
            "attributes": {"type": obj.name, "url": f"/services/data/v{API_VERSION}/sobjects/{obj.name}/{row['Id']}"}
        }
        for name in fields:
            head, _, tail = name.partition(".")
            if not tail:
                out[name] = row.get(name)
                continue
            lookup_field, target = relationships[head]
            parent = self._lookup(target, row.get(lookup_field))
            if parent is None:
                out[head] = None
                continue
            nested = out.get(head) or {
                "attributes": {"type": target, "url": f"/services/data/v{API_VERSION}/sobjects/{target}/{parent['Id']}"}
            }
            nested[tail] = parent.get(tail)
            out[head] = nested
        return out

    def _page(self, records: list[dict], offset: int, batch: int, locator: str) -> dict[str, Any]:
        page = records[offset : offset + batch]
        done = offset + batch >= len(records)
        body: dict[str, Any] = {"totalSize": len(records), "done": done, "records": page}
        if not done:
            body["nextRecordsUrl"] = f"/services/data/v{API_VERSION}/query/{locator}-{offset + batch}"
        return body

    def _query(self, text: str, include_deleted: bool, request: Request) -> Response:
        try:
            query, _obj, records = self._run(text, include_deleted)
        except soql.SoqlError as exc:
            return self._error(400, exc.code, str(exc))
        if query.count_only:
            return Response.json({"totalSize": len(records), "done": True, "records": []})
        batch = self.org.default_batch_size
        options = request.headers.get("sforce-query-options", "")
        if m := re.search(r"batchSize=(\d+)", options):
            batch = max(200, min(2000, int(m.group(1))))
        locator = f"01g{next(self._ids):015d}"
        self._cursors[locator] = (records, include_deleted)
        return Response.json(self._page(records, 0, batch, f"{locator}.{batch}"))

    def _query_more(self, identifier: str) -> Response:
        m = re.fullmatch(r"(01g\d+)\.(\d+)-(\d+)", identifier)
        if not m or m.group(1) not in self._cursors:
            return self._error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        records, _ = self._cursors[m.group(1)]
        batch, offset = int(m.group(2)), int(m.group(3))
        return Response.json(self._page(records, offset, batch, f"{m.group(1)}.{batch}"))

    # -- bulk 2.0 ----------------------------------------------------------------------------
    def _field_type(self, obj: SObject, name: str) -> str:
        head, _, tail = name.partition(".")
        if tail:
            relationships = obj.relationships()
            if head not in relationships:
                return "string"
            obj, name = self.org.objects[relationships[head][1]], tail
        return next((f.type for f in obj.fields if f.name == name), "string")

    def _create_job(self, body: dict[str, Any]) -> Response:
        try:
            query, obj, records = self._run(body.get("query", ""), include_deleted=body.get("operation") == "queryAll")
        except soql.SoqlError as exc:
            return self._error(400, exc.code, str(exc))
        job_id = f"750{next(self._ids):015d}"
        info = {
            "id": job_id,
            "operation": body.get("operation", "query"),
            "object": query.object_name,
            "state": "JobComplete",
            "contentType": "CSV",
            "apiVersion": float(API_VERSION),
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
            "numberRecordsProcessed": len(records),
        }
        datetimes = {name for name in query.fields if self._field_type(obj, name) == "datetime"}
        self._jobs[job_id] = {"info": info, "fields": query.fields, "records": records, "datetimes": datetimes}
        return Response.json(info)

    def _job_results(self, job_id: str, request: Request) -> Response:
        job = self._jobs.get(job_id)
        if job is None:
            return self._error(404, "NOT_FOUND", "job not found")
        offset = int(request.param("locator") or 0)
        size = int(request.param("maxRecords") or 50000)
        chunk = job["records"][offset : offset + size]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(job["fields"])
        for record in chunk:
            writer.writerow([_csv_value(_flat_get(record, name), name in job["datetimes"]) for name in job["fields"]])
        next_offset = offset + size
        locator = str(next_offset) if next_offset < len(job["records"]) else "null"
        return Response(
            200,
            buffer.getvalue().encode(),
            {"Content-Type": "text/csv", "Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(chunk))},
        )

    @staticmethod
    def _error(status: int, code: str, message: str) -> Response:
        return Response.json([{"message": message, "errorCode": code}], status)


def _flat_get(record: dict, name: str) -> Any:
    head, _, tail = name.partition(".")
    if not tail:
        return record.get(name)
    parent = record.get(head)
    return None if parent is None else parent.get(tail)


def _csv_value(value: Any, is_datetime: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_datetime:
        # Bulk API 2.0 results write datetimes in UTC with a literal Z (`2025-03-31T12:00:00.000Z`), where
        # REST JSON writes `+0000`.
        return re.sub(r"[+-]0000$", "Z", str(value))
    return str(value)
