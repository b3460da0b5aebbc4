"""Build the right connector for a stored connection."""

from __future__ import annotations

from typing import Any

from core.connectors.base import Connector, SourceKind
from core.connectors.files import FileSource
from core.errors import SourceError

# Kinds whose connector ships in this release; the Connect page offers only these.
AVAILABLE_KINDS: tuple[SourceKind, ...] = (SourceKind.FILE,)


def build_connector(kind: SourceKind, settings: dict[str, Any], secrets: dict[str, str], *, source_key: str) -> Connector:
    """A connector for `kind` configured with `settings` (and decrypted `secrets`)."""
    if kind == SourceKind.FILE:
        path = settings.get("path")
        if not path:
            raise SourceError("This file connection has no folder.", hint="Edit the connection and enter the folder path.")
        return FileSource(path, source_key=source_key, id_fields=settings.get("id_fields"))
    raise SourceError(f"The {kind.label} connector is not available in this release.",
                      hint="Use a file export (CSV / Parquet) for now.")
