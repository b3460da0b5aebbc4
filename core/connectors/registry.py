"""Build the right connector for a stored connection."""

from __future__ import annotations

from typing import Any

from core.connectors.base import Connector, SourceKind
from core.connectors.files import FileSource
from core.errors import SourceError

# Kinds whose connector ships in this release; the Connect page offers these.
AVAILABLE_KINDS: tuple[SourceKind, ...] = (SourceKind.SALESFORCE, SourceKind.HUBSPOT, SourceKind.FILE,
                                           SourceKind.WAREHOUSE)


def build_connector(kind: SourceKind, settings: dict[str, Any], secrets: dict[str, str], *, source_key: str) -> Connector:
    """A connector for `kind` configured with `settings` (and decrypted `secrets`)."""
    if kind == SourceKind.FILE:
        path = settings.get("path")
        if not path:
            raise SourceError("This file connection has no folder.", hint="Edit the connection and enter the folder path.")
        return FileSource(path, source_key=source_key, id_fields=settings.get("id_fields"))
    if kind == SourceKind.SALESFORCE:
        from core.connectors.salesforce import SalesforceConnector

        if settings.get("demo_sandbox"):
            from core.demo_sandbox import demo_salesforce_url

            settings = {**settings, "api_base_url": demo_salesforce_url()}
        return SalesforceConnector(settings, secrets, source_key=source_key)
    if kind == SourceKind.HUBSPOT:
        from core.connectors.hubspot import HubSpotConnector

        return HubSpotConnector(settings, secrets, source_key=source_key)
    if kind == SourceKind.WAREHOUSE:
        from core.connectors.warehouse import WarehouseSource

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
        from core.connectors.salesforce import pipeline_keys as salesforce_pipeline_keys

        return salesforce_pipeline_keys(pipeline_ids)
    return (None, next(iter(pipeline_ids))) if len(pipeline_ids) == 1 else None
