"""Read a workspace's stored tables into polars frames (for exports, pages and the CLI)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from sqlalchemy import Boolean, Date, DateTime, Engine, Float, Integer, func, select
from sqlmodel import SQLModel

from storage.stored_money import MONEY_COLUMNS, DataTypeLike, from_stored, read_schema
from storage.tables import (
    AccountCrosswalk,
    Alert,
    ArrMovement,
    AuditEntry,
    CanonicalAccount,
    FieldMapping,
    Opportunity,
    QuarantinedRow,
    RevenuePlan,
    StageHistoryEntry,
    StageMapping,
    SyncRun,
    table_of,
)

# Export name -> table. Names are what the CLI and the Exports page call them.
WORKSPACE_TABLES: dict[str, type[SQLModel]] = {
    "opportunities": Opportunity,
    "arr_movements": ArrMovement,
    "accounts": CanonicalAccount,
    "crosswalk": AccountCrosswalk,
    "stage_mappings": StageMapping,
    "stage_history": StageHistoryEntry,
    "field_mappings": FieldMapping,
    "quarantine": QuarantinedRow,
    "runs": SyncRun,
    "audit": AuditEntry,
    "plan": RevenuePlan,
    "alerts": Alert,
}


def _polars_type(sql_type) -> pl.DataType:
    if isinstance(sql_type, Boolean):
        return pl.Boolean()
    if isinstance(sql_type, Integer):
        return pl.Int64()
    if isinstance(sql_type, Float):
        return pl.Float64()
    if isinstance(sql_type, DateTime) or isinstance(getattr(sql_type, "impl_instance", None), DateTime):
        return pl.Datetime("us", "UTC")
    if isinstance(sql_type, Date):
        return pl.Date()
    return pl.String()


def table_schema(name: str) -> dict[str, pl.DataType]:
    """Column name -> polars type of an exported table, from its SQL definition (money as amounts)."""
    table = table_of(WORKSPACE_TABLES[name])
    return {
        column.name: pl.Float64() if column.name in MONEY_COLUMNS else _polars_type(column.type)
        for column in table.columns
    }


def read_frame(statement, connection, schema: Mapping[str, DataTypeLike]) -> pl.DataFrame:
    """Rows of `statement` typed by `schema` (money columns as amounts), even when there are none."""
    frame = pl.read_database(statement, connection, schema_overrides=read_schema(schema), infer_schema_length=None)
    return from_stored(frame.select(list(schema)).cast(pl.Schema(read_schema(schema))))


def read_workspace_table(engine: Engine, name: str, workspace_id: int) -> pl.DataFrame:
    """All rows of one workspace table, ordered by id, typed from the table definition even when empty."""
    table = table_of(WORKSPACE_TABLES[name])
    statement = select(table).where(table.c.workspace_id == workspace_id).order_by(table.c.id)
    with engine.connect() as connection:
        return read_frame(statement, connection, table_schema(name))


def count_workspace_table(engine: Engine, name: str, workspace_id: int) -> int:
    table = table_of(WORKSPACE_TABLES[name])
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(table).where(table.c.workspace_id == workspace_id)
        ).scalar_one()
