"""Build the right connector for a stored connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.base import Connector
from connectors.files import FileSource
from domain.errors import SourceError
from domain.source_kinds import SourceKind

# Kinds whose connector ships in this release; the Connect page offers these.
AVAILABLE_KINDS: tuple[SourceKind, ...] = (
    SourceKind.SALESFORCE,
    SourceKind.HUBSPOT,
    SourceKind.FILE,
    SourceKind.WAREHOUSE,
)


# Endpoints installed at startup by name (the demo's CRM emulator): a stored connection names one, and this
# module never imports what provides it.
DEMO_ENDPOINT = "demo_sandbox"
_ENDPOINTS: dict[str, Callable[[], str]] = {}


def register_endpoint(name: str, base_url: Callable[[], str]) -> None:
    """Make `name` resolve to the URL `base_url()` returns (called when a connector is built)."""
    _ENDPOINTS[name] = base_url


def endpoint(name: str) -> str:
    resolve = _ENDPOINTS.get(name)
    if resolve is None:
        raise SourceError(
            "This is the built-in demo's connection, and the demo is not running in this process.",
            hint="Start with REVENUE_CONNECTOR_DEMO=1 (the default), or connect a real org in step 1.",
        )
    return resolve()


def build_connector(
    kind: SourceKind, settings: dict[str, Any], secrets: dict[str, str], *, source_key: str
) -> Connector:
    """A connector for `kind` configured with `settings` (and decrypted `secrets`)."""
    if kind == SourceKind.FILE:
        path = settings.get("path")
        if not path:
            raise SourceError(
                "This file connection has no folder.", hint="Edit the connection and enter the folder path."
            )
        return FileSource(path, source_key=source_key, id_fields=settings.get("id_fields"))
    if kind == SourceKind.SALESFORCE:
        from connectors.salesforce import SalesforceConnector

        if settings.get("demo_sandbox"):
            settings = {**settings, "api_base_url": endpoint(DEMO_ENDPOINT)}
        return SalesforceConnector(settings, secrets, source_key=source_key)
    if kind == SourceKind.HUBSPOT:
        from connectors.hubspot import HubSpotConnector

        return HubSpotConnector(settings, secrets, source_key=source_key)
    if kind == SourceKind.WAREHOUSE:
        from connectors.warehouse import WarehouseSource

        return WarehouseSource(settings, secrets, source_key=source_key)
    raise SourceError(f"Unknown source kind '{kind}'.")


def pipeline_keys(kind: SourceKind, pipeline_ids: set[str]) -> tuple[str | None, str] | None:
    """For an object whose stages were mapped in `pipeline_ids`: the field naming a record's pipeline and the
    pipeline of a record where it is empty; None leaves what the mapping in force says."""
    if not pipeline_ids:
        return None
    if kind == SourceKind.HUBSPOT:
        return "pipeline", "default"
    if kind == SourceKind.SALESFORCE:
        from connectors.salesforce import pipeline_keys as salesforce_pipeline_keys

        return salesforce_pipeline_keys(pipeline_ids)
    return (None, next(iter(pipeline_ids))) if len(pipeline_ids) == 1 else None
