"""Reading a pipeline object's stage history alongside its records, so stage weights can be checked against what
actually closed (domain/stage_calibration.py). The history is a by-product of the run: a CRM that keeps none (a
file, a warehouse) is skipped, and one that refuses it (no permission on OpportunityHistory) costs the run a line
in its summary, never its data."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from connectors.base import Connector
from domain.errors import CredentialsError, QuotaExhausted, RevenueConnectorError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HistoryRead:
    """What one read of a source's stage history gave."""

    source: str
    entries: pl.DataFrame  # source_id, stage, entered_at
    whole: bool  # every deal's history (replaces what is stored) rather than the entries since the last read


def read_stage_history(
    connector: Connector, source: str, object_name: str, since: datetime | None
) -> tuple[HistoryRead | None, str]:
    """The history read (None when the source keeps none or refused it) and a line for the run's summary."""
    read = getattr(connector, "stage_history", None)
    if read is None:
        return None, ""
    try:
        entries = read(object_name, since=since)
    except (CredentialsError, QuotaExhausted, RevenueConnectorError) as exc:
        log.warning("stage history of %s · %s not read: %s", source, object_name, exc.user_message)
        return None, f"Stage history of {object_name} not read: {exc.user_message} The pipeline itself was read."
    if entries is None:
        return None, ""
    count = f"{entries.height:,} {'entry' if entries.height == 1 else 'entries'}"
    line = f"Stage history of {object_name}: {count}" + ("" if since is None else " read since the last run")
    return HistoryRead(source, entries, whole=since is None), line
