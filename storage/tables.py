"""Every table of Revenue Connector, as SQLModel classes.

Tables live in this imported module (never in a page script) so Streamlit reruns do not
re-declare them. A change here ships with an Alembic migration in storage/migrations.
Money columns hold integer thousandths of the currency unit (storage/stored_money.py says why and converts).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, Column, Index, Table, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC timestamp: every stored time is UTC, whatever the database's own zone."""
    return datetime.now(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for column-level SQL (its columns compare as SQL, not as Python)."""
    return model.__table__  # type: ignore[attr-defined]


class Workspace(SQLModel, table=True):
    """A company's revenue setup: its connections, mappings and canonical data."""

    __tablename__ = "workspace"
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    name: str = Field(max_length=80, unique=True)
    is_demo: bool = False
    reporting_currency: str = Field(default="USD", max_length=3)
    # How the forecast treats open deals whose expected close passed (domain/insights/forecast.py).
    slipped_policy: str = Field(default="apart", max_length=16, sa_column_kwargs={"server_default": "apart"})
    # Movement policy: a customer returning within this many days of churning is reactivated, later new (None: any time).
    reactivation_window_days: int | None = None
    # Movement policy: a customer who is new and churns in the same month nets out of that month's bridge bars.
    net_same_month_churn: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    created_at: datetime = Field(default_factory=utcnow)


class CanonicalStageRow(SQLModel, table=True):
    """One stage of a workspace's canonical funnel (seeded from domain.canonical.DEFAULT_STAGES)."""

    __tablename__ = "canonical_stage"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    key: str = Field(max_length=40)
    label: str = Field(max_length=80)
    weight: float
    semantics: str = Field(max_length=8)
    sort_order: int


class Connection(SQLModel, table=True):
    """A source: Salesforce, HubSpot, a file folder or a warehouse query. Secrets are encrypted."""

    __tablename__ = "connection"
    __table_args__ = (UniqueConstraint("workspace_id", "source_key"), UniqueConstraint("workspace_id", "name"))
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    name: str = Field(max_length=80)
    # Stable key written into every canonical row's `source`; never changes after creation.
    source_key: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    settings_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    secrets_encrypted: str | None = Field(default=None, sa_column=Column(Text), repr=False)
    created_at: datetime = Field(default_factory=utcnow)
    last_tested_at: datetime | None = None
    last_test_ok: bool | None = None
    last_test_message: str | None = Field(default=None, sa_column=Column(Text))


class DomainRoute(SQLModel, table=True):
    """Which source object feeds a domain; the lowest priority number wins ties."""

    __tablename__ = "domain_route"
    __table_args__ = (
        UniqueConstraint("workspace_id", "domain", "priority"),
        UniqueConstraint("workspace_id", "domain", "connection_id", "object_name"),
    )
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    domain: str = Field(max_length=20)
    connection_id: int = Field(foreign_key="connection.id")
    object_name: str = Field(max_length=120)
    priority: int
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(max_length=80)


class ReviewedSuggestion(SQLModel):
    """Columns every reviewed suggestion carries: status, score, band, reason, origin, decision."""

    status: str = Field(default="suggested", max_length=12)
    score: float | None = None
    band: str | None = Field(default=None, max_length=12)
    reason: str | None = Field(default=None, sa_type=Text)
    origin: str | None = Field(default=None, max_length=60)
    suggested: str | None = Field(default=None, max_length=40)  # what the engine proposed, kept for the audit
    runner_up: str | None = Field(default=None, max_length=40)
    runner_up_score: float | None = None
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: datetime | None = None
    # Optimistic lock: a decision names the version it saw, so two reviewers never overwrite each other silently.
    version: int = 1


class FieldMapping(ReviewedSuggestion, table=True):
    """A CRM field mapped onto a canonical field (or onto nothing), with its review status."""

    __tablename__ = "field_mapping"
    __table_args__ = (UniqueConstraint("workspace_id", "connection_id", "object_name", "source_field"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    connection_id: int = Field(foreign_key="connection.id")
    object_name: str = Field(max_length=120)
    domain: str = Field(max_length=20)
    source_field: str = Field(max_length=120)
    canonical_field: str | None = Field(default=None, max_length=40)
    field_type: str = Field(default="string", max_length=12)
    null_policy: str = Field(default="keep", max_length=8)
    label: str | None = Field(default=None, max_length=255)
    source_type: str | None = Field(default=None, max_length=40)


class StageMapping(ReviewedSuggestion, table=True):
    """A CRM stage (by internal ID within its pipeline) mapped onto a canonical stage."""

    __tablename__ = "stage_mapping"
    __table_args__ = (UniqueConstraint("workspace_id", "connection_id", "pipeline_id", "stage_id"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    connection_id: int = Field(foreign_key="connection.id")
    pipeline_id: str = Field(max_length=120)
    pipeline_label: str | None = Field(default=None, max_length=200)
    stage_id: str = Field(max_length=120)
    stage_label: str = Field(max_length=200)
    canonical_stage: str | None = Field(default=None, max_length=40)
    weight: float | None = None
    is_closed: bool | None = None
    sort_order: int | None = None


class ValueMapping(ReviewedSuggestion, table=True):
    """A CRM picklist value mapped onto a canonical value (movement types such as 'Upsell' -> expansion)."""

    __tablename__ = "value_mapping"
    __table_args__ = (UniqueConstraint("workspace_id", "connection_id", "object_name", "source_field", "source_value"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    connection_id: int = Field(foreign_key="connection.id")
    object_name: str = Field(max_length=120)
    source_field: str = Field(max_length=120)
    source_value: str = Field(max_length=200)
    target: str | None = Field(default=None, max_length=40)


class AccountMatch(ReviewedSuggestion, table=True):
    """A suggested pair of canonical accounts: the same company (merged when approved) or related (the child is
    linked under `parent_account_id` when approved); rejected pairs are never suggested again."""

    __tablename__ = "account_match"
    __table_args__ = (UniqueConstraint("workspace_id", "account_id_a", "account_id_b"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    account_id_a: int = Field(foreign_key="canonical_account.id")
    account_id_b: int = Field(foreign_key="canonical_account.id")
    cluster: int | None = None
    relation: str = Field(default="same", max_length=12, sa_column_kwargs={"server_default": "same"})
    parent_account_id: int | None = None  # related pairs: the account the engine (or the reviewer) made the parent
    moved_links_json: str | None = Field(default=None, sa_type=Text)  # what a merge or link changed, for undo


class LlmAnswer(SQLModel, table=True):
    """A cached LLM answer keyed by the hash of its request, so a re-run sends nothing."""

    __tablename__ = "llm_answer"
    key: str = Field(primary_key=True, max_length=64)
    model: str = Field(max_length=120)
    answer: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)


class CanonicalAccount(SQLModel, table=True):
    """The one account finance reports on, whatever its CRM IDs and names."""

    __tablename__ = "canonical_account"
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    name: str = Field(max_length=255)
    parent_id: int | None = Field(default=None, foreign_key="canonical_account.id")
    merged_into_id: int | None = Field(default=None, foreign_key="canonical_account.id")
    segment: str | None = Field(default=None, max_length=80)
    website: str | None = Field(default=None, max_length=255)
    country: str | None = Field(default=None, max_length=80)
    created_at: datetime = Field(default_factory=utcnow)


class AccountCrosswalk(SQLModel, table=True):
    """(source, source account ID) -> canonical account. Keyed by ID, so renames stay one account."""

    __tablename__ = "account_crosswalk"
    __table_args__ = (UniqueConstraint("workspace_id", "source", "source_account_id"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    source: str = Field(max_length=40)
    source_account_id: str = Field(max_length=64)
    source_name: str | None = Field(default=None, max_length=255)
    canonical_account_id: int = Field(foreign_key="canonical_account.id", index=True)
    status: str = Field(default="suggested", max_length=12)
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: datetime | None = None


class OpportunityVersion(SQLModel):
    """The columns of one version of a canonical opportunity (the current table and its history share them)."""

    id: int | None = None
    workspace_id: int
    run_id: int | None = None
    source: str = Field(max_length=40)
    source_object: str = Field(max_length=120)
    source_id: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=255)
    account_id: int | None = None
    stage: str | None = Field(default=None, max_length=40)
    source_stage: str | None = Field(default=None, max_length=120)
    pipeline_id: str | None = Field(default=None, max_length=120)  # CRM pipeline, for filters on Revenue
    weight: float | None = None
    amount: int | None = Field(default=None, sa_type=BigInteger)  # thousandths
    currency: str | None = Field(default=None, max_length=3)
    amount_reporting: int | None = Field(default=None, sa_type=BigInteger)  # thousandths
    weighted_amount: int | None = Field(default=None, sa_type=BigInteger)  # thousandths
    expected_close: date | None = None
    owner: str | None = Field(default=None, max_length=255)
    segment: str | None = Field(default=None, max_length=80)
    opportunity_type: str | None = Field(default=None, max_length=80)
    probability_override: float | None = None  # the deal's own probability (0..1), honoured instead of the stage's
    is_deleted: bool = False
    source_modified_at: datetime | None = None
    chosen_by: str | None = Field(default=None, max_length=120)


class Opportunity(OpportunityVersion, table=True):
    """A canonical pipeline record with its provenance."""

    __tablename__ = "opportunity"
    # One canonical record per source ID (the higher-priority source wins it), and the only secondary
    # index: every extra index is paid on each of a million inserts, and nothing else looks rows up.
    # No per-row foreign keys either (migration 0020): a run checks its workspace, run and accounts once, as a
    # set, before it writes (storage/canonical_rows.py).
    __table_args__ = (UniqueConstraint("workspace_id", "source_id", name="ux_opportunity_workspace_source_id"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one


class ArrMovementVersion(SQLModel):
    """The columns of one version of a canonical ARR movement (current table and history)."""

    id: int | None = None
    workspace_id: int
    run_id: int | None = None
    source: str = Field(max_length=40)
    source_object: str = Field(max_length=120)
    source_id: str = Field(max_length=64)
    account_id: int | None = None
    effective_date: date | None = None
    arr_delta: int | None = Field(default=None, sa_type=BigInteger)  # thousandths
    movement_component: str | None = Field(default=None, max_length=16)
    currency: str | None = Field(default=None, max_length=3)
    arr_delta_reporting: int | None = Field(default=None, sa_type=BigInteger)  # thousandths
    is_deleted: bool = False
    source_modified_at: datetime | None = None
    chosen_by: str | None = Field(default=None, max_length=120)


class ArrMovement(ArrMovementVersion, table=True):
    """A canonical ARR movement event; arr_delta is signed by its component."""

    __tablename__ = "arr_movement"
    __table_args__ = (UniqueConstraint("workspace_id", "source_id", name="ux_arr_movement_workspace_source_id"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one


class SyncRun(SQLModel, table=True):
    """One sync (or dry run) with what it read, wrote and quarantined."""

    __tablename__ = "sync_run"
    __table_args__ = (
        Index("ix_sync_run_workspace_started", "workspace_id", "started_at"),
        # At most one running sync per workspace, enforced by the database so two starts cannot race.
        Index(
            "ux_sync_run_one_running",
            "workspace_id",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id")
    trigger: str = Field(max_length=20)
    status: str = Field(default="running", max_length=12)
    dry_run: bool = False
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    rows_read: int = 0
    rows_added: int = 0
    rows_changed: int = 0
    rows_tombstoned: int = 0
    rows_quarantined: int = 0
    # Of those, rows not already held before this run (what the quarantine-share alert counts).
    rows_newly_quarantined: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    mapping_version: int | None = None
    api_calls: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    # Live progress of a running sync, and a heartbeat that tells a crashed run from a slow one.
    progress: float | None = None
    progress_text: str | None = Field(default=None, max_length=200)
    heartbeat_at: datetime | None = None
    summary_json: str | None = Field(default=None, sa_column=Column(Text))
    # What a targeted run covered ("object demo:opportunities", "account 12 · Acme"); null = everything.
    scope: str | None = Field(default=None, max_length=200)
    owner: str | None = Field(default=None, max_length=120)  # "host:pid" of the process running it
    # Lag from a record's CRM modification to its landing, over the rows this run added or changed.
    lag_median_seconds: float | None = None
    lag_max_seconds: float | None = None


class QuarantinedRow(SQLModel, table=True):
    """A source row that did not roll up, with the reason and the offending value."""

    __tablename__ = "quarantined_row"
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    run_id: int | None = Field(default=None, foreign_key="sync_run.id")
    domain: str = Field(max_length=20)
    source: str = Field(max_length=40)
    source_object: str = Field(max_length=120)
    source_id: str | None = Field(default=None, max_length=64)
    reason_code: str = Field(max_length=40)
    field: str | None = Field(default=None, max_length=120)
    value: str | None = Field(default=None, sa_column=Column(Text))
    payload_json: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    released_run_id: int | None = None


class AuditEntry(SQLModel, table=True):
    """Who did what, when: approvals, merges, connection changes, runs."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_workspace_at", "workspace_id", "at"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id")
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=60)
    entity_id: str | None = Field(default=None, max_length=120)
    detail_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))


class AppUser(SQLModel, table=True):
    """A person with a role. With no users defined, the local user acts as admin."""

    __tablename__ = "app_user"
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    username: str = Field(max_length=80, unique=True)
    display_name: str = Field(max_length=120)
    role: str = Field(max_length=12)
    password_hash: str | None = Field(default=None, max_length=255, repr=False)
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class SignInFailure(SQLModel, table=True):
    """Failed sign-ins in a row for one user name or client (domain/sign_in_throttle.py)."""

    __tablename__ = "sign_in_failure"
    key: str = Field(primary_key=True, max_length=200)  # "user:<name as typed>" or "client:<address>"
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow)


class CanonicalTotal(SQLModel, table=True):
    """The live canonical rows of one domain summed per stage (pipeline) or movement component (ARR), kept up to
    date by every write in the same transaction: a run's before-figures read these few rows instead of summing the
    whole table. Money in integer thousandths, like the rows. No rows for a workspace and domain means 'count again'
    (a rollback clears them; the next run recounts)."""

    __tablename__ = "canonical_total"
    __table_args__ = (UniqueConstraint("workspace_id", "domain", "group_key"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id")
    domain: str = Field(max_length=20)
    group_key: str = Field(default="", max_length=40)  # the stage or movement component ('' for none)
    weighted_amount: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    amount: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False)
    )  # amount_reporting / arr_delta_reporting
    row_count: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class StageHistoryEntry(SQLModel, table=True):
    """One stage a CRM deal entered, as the CRM recorded it (Salesforce OpportunityHistory, HubSpot's dealstage
    history): the stage in the CRM's own words, mapped onto canonical stages only when rates are computed, so a
    mapping change needs no re-read. Entries are never edited in the CRM: the key makes a re-read idempotent."""

    __tablename__ = "stage_history"
    __table_args__ = (UniqueConstraint("workspace_id", "source", "source_id", "stage", "entered_at"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int  # no per-row foreign keys (migration 0020): a first read writes millions of entries
    source: str = Field(max_length=40)
    source_id: str = Field(max_length=64)
    stage: str = Field(max_length=120)
    entered_at: datetime
    run_id: int | None = None  # the run that read it


class StageHistoryMark(SQLModel, table=True):
    """The newest stage-history entry stored per source, where the next incremental read starts: one row, where a
    max() over millions of entries cost 0.4 s a run (an index for it doubled the first read's write)."""

    __tablename__ = "stage_history_mark"
    workspace_id: int = Field(primary_key=True)
    source: str = Field(primary_key=True, max_length=40)
    newest_entered_at: datetime


class SourceCursor(SQLModel, table=True):
    """Where the last successful sync of one source object stopped (SystemModstamp, hs_lastmodifieddate).

    Written only when a whole sync succeeds, so a failed run re-reads from the same point.
    """

    __tablename__ = "source_cursor"
    __table_args__ = (UniqueConstraint("workspace_id", "connection_id", "object_name"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    connection_id: int = Field(foreign_key="connection.id")
    object_name: str = Field(max_length=120)
    cursor_field: str = Field(max_length=120)
    cursor_value: str | None = Field(default=None, max_length=64)
    # A file source's 'size:mtime_ns:sha256' at that run: an incremental run skips a file whose bytes did not change.
    content_fingerprint: str | None = Field(default=None, max_length=120)
    run_id: int | None = Field(default=None, foreign_key="sync_run.id")
    updated_at: datetime = Field(default_factory=utcnow)


class MappingVersion(SQLModel, table=True):
    """One approved version of a workspace's mapping configuration ("mapping as code", YAML).

    The newest version is the one a sync uses; every run records the version it used, and older
    versions stay so a run can be explained and rolled back.
    """

    __tablename__ = "mapping_version"
    __table_args__ = (UniqueConstraint("workspace_id", "version"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    version: int
    yaml_text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=80)
    note: str | None = Field(default=None, max_length=255)


class OpportunityHistory(OpportunityVersion, table=True):
    """Earlier versions of canonical opportunities: a run archives the version it replaces or tombstones.

    Together with the current rows they give the state as of any run (for rollback), while each run
    writes only what it changed.
    """

    __tablename__ = "opportunity_history"
    __table_args__ = (Index("ix_opportunity_history_lookup", "workspace_id", "closed_by_run"),)
    id: int
    history_id: int | None = Field(default=None, primary_key=True)
    closed_by_run: int


class ArrMovementHistory(ArrMovementVersion, table=True):
    """Earlier versions of canonical ARR movements (see OpportunityHistory)."""

    __tablename__ = "arr_movement_history"
    __table_args__ = (Index("ix_arr_movement_history_lookup", "workspace_id", "closed_by_run"),)
    id: int
    history_id: int | None = Field(default=None, primary_key=True)
    closed_by_run: int


class RevenuePlan(SQLModel, table=True):
    """One month (and optionally one segment) of the plan a finance user uploaded, to compare with actuals."""

    __tablename__ = "revenue_plan"
    __table_args__ = (UniqueConstraint("workspace_id", "month", "segment"),)
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    month: date
    segment: str = Field(default="", max_length=80)  # "" = the whole company
    planned_ending_arr: int | None = Field(default=None, sa_type=BigInteger)  # thousandths
    planned_net_new_arr: int | None = Field(default=None, sa_type=BigInteger)  # thousandths
    uploaded_by: str = Field(max_length=80)
    uploaded_at: datetime = Field(default_factory=utcnow)


class SyncSchedule(SQLModel, table=True):
    """When the scheduler worker syncs a workspace: off, every N minutes, hourly, or daily at a local time."""

    __tablename__ = "sync_schedule"
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", unique=True)
    kind: str = Field(default="off", max_length=12)
    every_minutes: int | None = None
    daily_at: str | None = Field(default=None, max_length=5)  # HH:MM in `timezone`
    timezone: str = Field(default="UTC", max_length=64)
    # The slot the worker fires next; a slot in the past (worker was down) fires once, then the next future one.
    next_due_at: datetime | None = None
    last_fired_at: datetime | None = None
    last_outcome: str | None = Field(default=None, sa_column=Column(Text))
    updated_by: str = Field(max_length=80)
    updated_at: datetime = Field(default_factory=utcnow)


class WorkerHeartbeat(SQLModel, table=True):
    """A running scheduler worker's sign of life, so the app can say whether schedules will fire."""

    __tablename__ = "worker_heartbeat"
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    name: str = Field(max_length=200, unique=True)  # host:pid
    started_at: datetime = Field(default_factory=utcnow)
    beat_at: datetime = Field(default_factory=utcnow)


class AlertSettings(SQLModel, table=True):
    """A workspace's alert thresholds and channels. SMTP's password comes from the environment, never the database."""

    __tablename__ = "alert_settings"
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", unique=True)
    quarantine_share_max: float = 0.02
    volume_factor: float = 3.0
    max_run_minutes: float = 30.0
    webhook_url: str | None = Field(default=None, max_length=500)
    email_to: str | None = Field(default=None, max_length=500)
    smtp_host: str | None = Field(default=None, max_length=255)
    smtp_port: int | None = None
    smtp_sender: str | None = Field(default=None, max_length=255)
    smtp_starttls: bool = False
    smtp_username: str | None = Field(default=None, max_length=255)
    updated_by: str = Field(max_length=80)
    updated_at: datetime = Field(default_factory=utcnow)


class Alert(SQLModel, table=True):
    """Something about a run that a person should hear of: a failure, too many bad rows, a volume swing."""

    __tablename__ = "alert"
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    run_id: int | None = Field(default=None, foreign_key="sync_run.id")
    rule: str = Field(max_length=40)
    message: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    acknowledged_by: str | None = Field(default=None, max_length=80)
    acknowledged_at: datetime | None = None


class AlertDelivery(SQLModel, table=True):
    """One attempt series to send an alert to one channel, with its outcome."""

    __tablename__ = "alert_delivery"
    id: int = Field(default=None, primary_key=True)  # None until stored; a stored row always has one
    alert_id: int = Field(foreign_key="alert.id", index=True)
    channel: str = Field(max_length=12)  # webhook | email
    target: str = Field(max_length=500)
    status: str = Field(max_length=12)  # delivered | failed
    attempts: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    last_attempt_at: datetime = Field(default_factory=utcnow)
