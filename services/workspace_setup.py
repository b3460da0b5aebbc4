"""Setting a workspace up without the app: connections from `KEY=VALUE` pairs, and one declarative file.

`apply_workspace_file` takes a YAML document that holds a whole workspace (its connections, with secrets
named by environment variable, its routes and its mapping), so a workspace can live in git and be rebuilt
on an empty database. Applying the same file twice changes nothing the second time.

```yaml
workspace: Acme
reporting_currency: USD            # used when the workspace is created
connections:
  - name: Salesforce production
    kind: salesforce               # salesforce | hubspot | file | warehouse
    settings: {auth: password, username: ops@acme.example, domain: login}
    secrets_from_env: {password: SF_PASSWORD, security_token: SF_TOKEN}
routes:                            # highest priority first; CONNECTION: OBJECT (name or source key)
  pipeline: ["Salesforce production: Opportunity"]
  arr_actuals: ["Salesforce production: ARR_Movement__c"]
mapping: acme-mapping.yaml         # a path next to this file, or the mapping document itself
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine
from sqlmodel import Session

from connectors.base import ConnectionCheck
from connectors.forms import CONNECTION_FIELDS, split_settings
from domain.canonical import Domain
from domain.config import Settings
from domain.errors import ValidationError
from domain.mapping_config import from_yaml, load_yaml, to_yaml
from domain.roles import Access
from domain.routing import RouteChoice
from domain.source_kinds import SourceKind
from services.connections import check_connection
from services.setup_changes import create_connection, create_workspace, save_mapping, save_routes, update_connection
from storage.connections import find_connection, get_connection
from storage.db import session_scope
from storage.mappings import latest_mapping
from storage.routing import load_routes
from storage.secret_box import secret_box
from storage.workspaces import find_workspace


def source_kind(text: str) -> SourceKind:
    """A kind as typed (salesforce, hubspot, file, warehouse), or a ValidationError listing them."""
    try:
        return SourceKind(text.strip().lower())
    except ValueError as exc:
        raise ValidationError(f"Kind '{text}' is not one of {', '.join(k.value for k in SourceKind)}.") from exc


def connection_values(
    kind: SourceKind, plain: Mapping[str, str], secrets_from_env: Mapping[str, str], environ: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """(settings, secrets) of a connection from the Connect form's field keys.

    Secrets only ever come from the environment: a secret key given as a plain value is refused, so a
    password never lands in a shell history, a CI log or a file in git.
    """
    fields = {f.key: f for f in CONNECTION_FIELDS[kind]}
    known = ", ".join(fields)
    for key in [*plain, *secrets_from_env]:
        if key not in fields:
            raise ValidationError(f"'{key}' is not a {kind.label} connection setting (settings: {known}).")
    for key in plain:
        if fields[key].secret:
            raise ValidationError(
                f"'{key}' is a secret: name the environment variable that holds it "
                f"(--secret-from-env {key}=ENV_VAR, or secrets_from_env), never the value."
            )
    values: dict[str, Any] = dict(plain)
    for key, variable in secrets_from_env.items():
        if not fields[key].secret:
            raise ValidationError(f"'{key}' is not a secret; give it as a plain setting (--set {key}=VALUE).")
        value = environ.get(variable, "")
        if not value:
            raise ValidationError(f"The environment variable {variable} (for {key}) is not set or is empty.")
        values[key] = value
    return split_settings(kind, values)


def pairs(items: list[str] | None, what: str) -> dict[str, str]:
    """['KEY=VALUE', …] -> {KEY: VALUE}; an item without '=' is refused naming the option."""
    result: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"{what} '{item}': write it as KEY=VALUE.")
        result[key.strip()] = value
    return result


@dataclass
class ApplyReport:
    """What applying a workspace file did, in words, plus the connection tests it ran."""

    workspace: str
    changes: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    tests: dict[str, ConnectionCheck] = field(default_factory=dict)

    @property
    def failed_tests(self) -> dict[str, ConnectionCheck]:
        return {name: check for name, check in self.tests.items() if not check.ok}


def _read_document(path: Path) -> dict[str, Any]:
    document = load_yaml(path.read_text(encoding="utf-8"), path.name)
    if not isinstance(document, dict) or not isinstance(document.get("workspace"), str):
        raise ValidationError(f"{path.name}: 'workspace' (the workspace's name) is required at the top level.")
    return document


def _route_choice(item: Any, path: str) -> tuple[str, str]:
    if isinstance(item, dict) and {"connection", "object"} <= set(item):
        return str(item["connection"]), str(item["object"])
    if isinstance(item, str) and ":" in item:
        connection, _, object_name = item.rpartition(":")
        return connection.strip(), object_name.strip()
    raise ValidationError(f"{path}: write a route as 'CONNECTION: OBJECT' or {{connection: …, object: …}}.")


def apply_workspace_file(
    engine: Engine, settings: Settings, path: Path, *, access: Access, environ: Mapping[str, str]
) -> ApplyReport:
    """Create or bring up to date the workspace a file declares (see the module docstring), in one transaction,
    then test the connections that are new, changed or never passed a test."""
    document = _read_document(path)
    report = ApplyReport(document["workspace"])
    box = secret_box(settings)
    to_test: list[int] = []
    with session_scope(engine) as session:
        workspace = find_workspace(session, report.workspace)
        if workspace is None:
            workspace = create_workspace(
                session,
                report.workspace,
                access=access,
                reporting_currency=str(document.get("reporting_currency", "USD")),
            )
            report.changes.append(f"workspace {workspace.name} created")
        for i, spec in enumerate(document.get("connections") or []):
            where = f"connections[{i}]"
            if not isinstance(spec, dict) or not spec.get("name") or not spec.get("kind"):
                raise ValidationError(f"{where}: a connection needs a name and a kind.")
            kind = source_kind(str(spec["kind"]))
            plain = {str(k): str(v) for k, v in (spec.get("settings") or {}).items()}
            from_env = {str(k): str(v) for k, v in (spec.get("secrets_from_env") or {}).items()}
            try:
                values, secrets = connection_values(kind, plain, from_env, environ)
            except ValidationError as exc:
                raise ValidationError(f"{where} ({spec['name']}): {exc.user_message}") from exc
            existing = find_connection(session, workspace.id, str(spec["name"]))
            if existing is None:
                existing = create_connection(
                    session,
                    workspace.id,
                    name=str(spec["name"]),
                    kind=kind,
                    settings=values,
                    secrets=secrets,
                    box=box,
                    access=access,
                )
                report.changes.append(f"connection {existing.name} ({existing.source_key}) added")
            elif existing.kind != kind.value:
                raise ValidationError(f"{where}: '{existing.name}' is a {existing.kind} connection, not {kind.value}.")
            elif update_connection(session, existing.id, settings=values, secrets=secrets, box=box, access=access):
                report.changes.append(f"connection {existing.name} updated")
            else:
                report.unchanged.append(f"connection {existing.name}")
            if not existing.last_test_ok:
                to_test.append(existing.id)
        _apply_routes(session, workspace.id, document.get("routes") or {}, report, access)
        if document.get("mapping") is not None:
            _apply_mapping(session, workspace.id, document["mapping"], path.parent, report, access)
    for connection_id in to_test:
        with session_scope(engine) as session:
            check = check_connection(session, connection_id, settings, access=access)
            report.tests[get_connection(session, connection_id).name] = check
    return report


def _apply_routes(session: Session, workspace_id: int, routes: Any, report: ApplyReport, access: Access) -> None:
    if not isinstance(routes, dict):
        raise ValidationError("routes: give pipeline and/or arr_actuals, each a list of 'CONNECTION: OBJECT'.")
    current = load_routes(session, workspace_id)
    for key, items in routes.items():
        try:
            domain = Domain(str(key))
        except ValueError as exc:
            raise ValidationError(f"routes.{key}: not one of {', '.join(d.value for d in Domain)}.") from exc
        choices = []
        for j, item in enumerate(items or []):
            name, object_name = _route_choice(item, f"routes.{key}[{j}]")
            connection = find_connection(session, workspace_id, name)
            if connection is None:
                raise ValidationError(f"routes.{key}[{j}]: there is no connection '{name}' in this file or workspace.")
            choices.append(RouteChoice(connection.id, object_name))
        if [(r.connection_id, r.object_name) for r in current[domain]] == [
            (c.connection_id, c.object_name) for c in choices
        ]:
            report.unchanged.append(f"{domain.label} routing")
            continue
        save_routes(session, workspace_id, domain, choices, access=access)
        report.changes.append(f"{domain.label} routed from " + ", ".join(f"{c.object_name}" for c in choices))


def _apply_mapping(
    session: Session, workspace_id: int, mapping: Any, folder: Path, report: ApplyReport, access: Access
) -> None:
    if isinstance(mapping, str):
        file = (folder / mapping).resolve()
        if not file.is_file():
            raise ValidationError(f"mapping: {mapping} is not a file (paths are relative to the workspace file).")
        text = file.read_text(encoding="utf-8")
    elif isinstance(mapping, dict):
        text = yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True)
    else:
        raise ValidationError("mapping: give the path of a mapping file or the mapping itself.")
    config = from_yaml(text)
    # Objects may name their source by connection name; the stored mapping uses source keys.
    keys = {}
    for obj in config.objects:
        connection = find_connection(session, workspace_id, obj.source)
        keys[obj.source] = connection.source_key if connection else obj.source
    if any(name != key for name, key in keys.items()):
        config = replace(config, objects=tuple(replace(o, source=keys[o.source]) for o in config.objects))
        text = to_yaml(config)
    current = latest_mapping(session, workspace_id)
    if current is not None and current[1] == config:
        report.unchanged.append(f"mapping (version {current[0].version})")
        return
    row = save_mapping(session, workspace_id, text, access=access, note="applied from a workspace file")
    report.changes.append(f"mapping version {row.version} in force")
