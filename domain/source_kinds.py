"""The kinds of source a connection can be: the vocabulary shared by the Connect page, storage and connectors."""

from __future__ import annotations

from enum import StrEnum


class SourceKind(StrEnum):
    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"
    FILE = "file"
    WAREHOUSE = "warehouse"

    @property
    def label(self) -> str:
        return {
            "salesforce": "Salesforce",
            "hubspot": "HubSpot",
            "file": "Files (CSV / Parquet)",
            "warehouse": "Warehouse (SQL)",
        }[self.value]
