"""Review state of suggestions: field, stage and value mappings and duplicate-account pairs.

Every decision is a conditional update of one row (`WHERE id = … AND version = …`), so two reviewers
deciding at the same time never lose a decision: different rows both land, and the second decision on
the same row is refused with the name of whoever decided first. Every decision is audited with who,
when, the suggestion, its score and the final choice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, cast

import polars as pl
from sqlalchemy import CursorResult, Engine, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session
from sqlmodel import select as sm_select

from domain.errors import DecisionConflict, NotFound
from domain.suggestions.model import Band, Suggestion
from storage import audit
from storage.db import SQLITE_BUSY_SECONDS
from storage.tables import (
    AccountMatch,
    CanonicalAccount,
    Connection,
    FieldMapping,
    LlmAnswer,
    ReviewedSuggestion,
    StageMapping,
    ValueMapping,
    table_of,
    utcnow,
)

log = logging.getLogger(__name__)

APPROVED, REJECTED, SUGGESTED, MERGED, LINKED = "approved", "rejected", "suggested", "merged", "linked"
# A field that was present when a mapping written as code first synced: known, so not drift, but never
# reviewed either, so it stays out of the review table and a later 'Suggest mappings' may still suggest it.
SEEN = "seen"
DRIFT_ORIGIN = "drift guard"
KINDS: dict[str, type[ReviewedSuggestion]] = {
    "field": FieldMapping,
    "stage": StageMapping,
    "value": ValueMapping,
    "account": AccountMatch,
}
_TARGET_COLUMN = {"field": "canonical_field", "stage": "canonical_stage", "value": "target", "account": None}


def _suggestion_columns(s: Suggestion) -> dict:
    return {
        "score": s.score,
        "band": s.band.value,
        "reason": s.reason[:2000],
        "origin": s.origin[:60],
        "suggested": s.target or None,
        "runner_up": (s.runner_up or None) if s.runner_up is not None else None,
        "runner_up_score": s.runner_up_score,
    }


def _upsert(session: Session, model, keys: dict, values: dict, target_column: str, target: str | None) -> str:
    """Insert a new suggestion or refresh a pending one; a decided row keeps its decision. Returns what happened."""
    row = session.exec(sm_select(model).filter_by(**keys)).first()
    if row is None:
        session.add(model(**keys, **values, **{target_column: target}, status=SUGGESTED))
        return "new"
    if row.status not in (SUGGESTED, SEEN):
        return "kept"
    for name, value in {**values, target_column: target}.items():
        setattr(row, name, value)
    row.status = SUGGESTED
    row.version += 1
    session.add(row)
    return "refreshed"


def store_field_suggestions(
    session: Session,
    workspace_id: int,
    connection_id: int,
    object_name: str,
    domain: str,
    suggestions: list[Suggestion],
    types: dict[str, tuple[str, str]],
    field_type,
) -> dict[str, int]:
    """`types`: source field -> (label, source type); `field_type(target)` gives the cast of a canonical field."""
    counts = {"new": 0, "refreshed": 0, "kept": 0}
    for s in suggestions:
        label, source_type = types.get(s.subject, (s.subject, "string"))
        values = {
            **_suggestion_columns(s),
            "domain": domain,
            "label": label[:255],
            "source_type": source_type[:40],
            "field_type": field_type(s.target).value if s.target else "string",
        }
        counts[
            _upsert(
                session,
                FieldMapping,
                {
                    "workspace_id": workspace_id,
                    "connection_id": connection_id,
                    "object_name": object_name,
                    "source_field": s.subject,
                },
                values,
                "canonical_field",
                s.target or None,
            )
        ] += 1
    return counts


def store_stage_suggestions(
    session: Session, workspace_id: int, connection_id: int, suggestions: list[Suggestion], stages
) -> dict[str, int]:
    counts = {"new": 0, "refreshed": 0, "kept": 0}
    for s, stage in zip(suggestions, stages, strict=True):
        values = {
            **_suggestion_columns(s),
            "stage_label": stage.label[:200],
            "weight": s.weight,
            "pipeline_label": (stage.pipeline_label or stage.pipeline_id)[:200],
            "is_closed": stage.is_closed,
            "sort_order": stage.sort_order,
        }
        counts[
            _upsert(
                session,
                StageMapping,
                {
                    "workspace_id": workspace_id,
                    "connection_id": connection_id,
                    "pipeline_id": stage.pipeline_id,
                    "stage_id": stage.stage_id,
                },
                values,
                "canonical_stage",
                s.target or None,
            )
        ] += 1
    return counts


def store_value_suggestions(
    session: Session, workspace_id: int, connection_id: int, object_name: str, field: str, suggestions: list[Suggestion]
) -> dict[str, int]:
    counts = {"new": 0, "refreshed": 0, "kept": 0}
    for s in suggestions:
        counts[
            _upsert(
                session,
                ValueMapping,
                {
                    "workspace_id": workspace_id,
                    "connection_id": connection_id,
                    "object_name": object_name,
                    "source_field": field,
                    "source_value": s.subject,
                },
                _suggestion_columns(s),
                "target",
                s.target or None,
            )
        ] += 1
    return counts


def decide(
    session: Session,
    kind: str,
    row_id: int,
    seen_version: int,
    decision: str,
    *,
    actor: str,
    target: str | None = None,
    weight: float | None = None,
) -> None:
    """Approve (with the suggested or another target) or reject one suggestion, if nobody decided it meanwhile."""
    model = KINDS[kind]
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"Suggestion {kind} #{row_id} no longer exists; reload the page.")
    values: dict = {"status": decision, "decided_by": actor, "decided_at": utcnow(), "version": seen_version + 1}
    column = _TARGET_COLUMN[kind]
    if column and target is not None:
        values[column] = target or None
    if kind == "stage" and weight is not None:
        values["weight"] = weight
    if kind == "field" and target is not None:
        from domain.suggestions.fields import canonical_type

        values["field_type"] = canonical_type(target).value if target else "string"
    table = table_of(model)
    result = session.execute(
        update(table).where(table.c.id == row_id, table.c.version == seen_version).values(**values)
    )
    if cast(CursorResult, result).rowcount != 1:
        session.refresh(row)
        raise DecisionConflict(
            f"{_subject(kind, row)} was decided by {row.decided_by or 'someone else'} "
            f"({row.status}) while you were reviewing; your choice was not applied. Reload to see it."
        )
    audit.record(
        session,
        actor=actor,
        action=decision,
        entity=f"{kind}_suggestion",
        entity_id=row_id,
        workspace_id=getattr(row, "workspace_id"),  # noqa: B009 - every kind has one; the base class does not
        detail={
            "subject": _subject(kind, row),
            "suggested": row.suggested,
            "score": row.score,
            "band": row.band,
            "final": target if target is not None else (getattr(row, column) if column else None),
        },
    )


def _subject(kind: str, row) -> str:
    if kind == "field":
        return f"{row.object_name}.{row.source_field}"
    if kind == "stage":
        return f"stage '{row.stage_label}' ({row.pipeline_id})"
    if kind == "value":
        return f"{row.source_field} = '{row.source_value}'"
    return f"accounts #{row.account_id_a} / #{row.account_id_b}"


def accept_auto_band(session: Session, kind: str, workspace_id: int, *, actor: str) -> int:
    """Approve every pending suggestion in the auto-accept band (each as its own audited decision)."""
    table = table_of(KINDS[kind])
    rows = session.execute(
        select(table.c.id, table.c.version).where(
            table.c.workspace_id == workspace_id, table.c.status == SUGGESTED, table.c.band == Band.AUTO_ACCEPT.value
        )
    ).all()
    accepted = 0
    for row_id, version in rows:
        try:
            decide(session, kind, row_id, version, APPROVED, actor=actor)
            accepted += 1
        except DecisionConflict:
            continue  # someone decided it a moment ago: their decision stands
    return accepted


def approved(session: Session, kind: str, workspace_id: int) -> list[Any]:
    """Every approved suggestion of one kind (field, stage, value) in the workspace."""
    model, table = KINDS[kind], table_of(KINDS[kind])
    return list(session.exec(sm_select(model).where(table.c.workspace_id == workspace_id, table.c.status == APPROVED)))


def review_frame(engine: Engine, kind: str, workspace_id: int) -> pl.DataFrame:
    """Suggestions of one kind for the review table, most uncertain first (pending before decided)."""
    model = KINDS[kind]
    table = table_of(model)
    connections = table_of(Connection)
    statement = (
        select(table, connections.c.name.label("connection")).outerjoin(
            connections, connections.c.id == table.c.connection_id
        )
        if "connection_id" in table.c
        else select(table)
    )
    statement = statement.where(table.c.workspace_id == workspace_id, table.c.status != SEEN)
    with engine.connect() as connection:
        frame = pl.read_database(statement, connection, infer_schema_length=None)
    if frame.is_empty():
        return frame
    return (
        frame.with_columns(
            _pending=(pl.col("status") != SUGGESTED), _certainty=(pl.col("score").fill_null(0) - 0.7).abs()
        )
        .sort(["_pending", "_certainty"])
        .drop("_pending", "_certainty")
    )


def review_counts(session: Session, kind: str, workspace_id: int) -> dict[str, int]:
    table = table_of(KINDS[kind])
    rows = session.execute(
        select(table.c.status, table.c.band).where(table.c.workspace_id == workspace_id, table.c.status != SEEN)
    ).all()
    counts = {"pending": 0, "approved": 0, "rejected": 0, "merged": 0, "auto": 0}
    for status, band in rows:
        counts["pending" if status == SUGGESTED else status] = (
            counts.get("pending" if status == SUGGESTED else status, 0) + 1
        )
        counts["auto"] += status == SUGGESTED and band == Band.AUTO_ACCEPT.value
    return counts


# -- drift guard for fields --------------------------------------------------------------------


def known_source_fields(session: Session, workspace_id: int, connection_id: int, object_name: str) -> set[str]:
    """Every field of one source object the workspace already knows: suggested, decided or seen."""
    rows = session.exec(
        sm_select(FieldMapping.source_field).where(
            FieldMapping.workspace_id == workspace_id,
            FieldMapping.connection_id == connection_id,
            FieldMapping.object_name == object_name,
        )
    ).all()
    return set(rows)


def record_seen_fields(
    session: Session,
    workspace_id: int,
    connection_id: int,
    object_name: str,
    domain: str,
    fields: dict[str, str | None],
    *,
    run_id: int,
) -> None:
    """Note the fields (-> canonical field in force, or None) an object had when it first synced."""
    for name, canonical in fields.items():
        session.add(
            FieldMapping(
                workspace_id=workspace_id,
                connection_id=connection_id,
                object_name=object_name,
                domain=domain,
                source_field=name,
                canonical_field=canonical,
                status=SEEN,
                origin="first sync",
                reason=f"Present at the first sync (run #{run_id}).",
            )
        )


def hold_for_review(
    session: Session,
    workspace_id: int,
    connection_id: int,
    object_name: str,
    domain: str,
    suggestions: list[Suggestion],
    types: dict[str, tuple[str, str]],
    field_type,
    *,
    run_id: int,
) -> None:
    """Fields that appeared after approval, stored as pending suggestions that can never be auto-accepted."""
    held = [
        replace(
            s,
            band=Band.REVIEW,
            origin=DRIFT_ORIGIN,
            reasons=(f"new in the source since the mapping was approved (first seen in run #{run_id})", *s.reasons),
        )
        for s in suggestions
    ]
    store_field_suggestions(session, workspace_id, connection_id, object_name, domain, held, types, field_type)


def fields_held_for_review(engine: Engine, workspace_id: int) -> pl.DataFrame:
    """Pending fields the drift guard held: connection, object, field, what the engine would map it to, why."""
    table = table_of(FieldMapping)
    connections = table_of(Connection)
    statement = (
        select(
            connections.c.name.label("source"),
            table.c.object_name.label("object"),
            table.c.source_field.label("field"),
            table.c.suggested.label("suggested mapping"),
            table.c.reason.label("why"),
        )
        .join(connections, connections.c.id == table.c.connection_id)
        .where(table.c.workspace_id == workspace_id, table.c.status == SUGGESTED, table.c.origin == DRIFT_ORIGIN)
        .order_by(connections.c.name, table.c.object_name, table.c.source_field)
    )
    with engine.connect() as connection:
        return pl.read_database(
            statement,
            connection,
            schema_overrides={
                "source": pl.String,
                "object": pl.String,
                "field": pl.String,
                "suggested mapping": pl.String,
                "why": pl.String,
            },
        )


# -- duplicate accounts -------------------------------------------------------------------------


def live_accounts(session: Session, workspace_id: int) -> pl.DataFrame:
    """Canonical accounts not merged into another: id, name, website, country, parent_id (read in `session`)."""
    table = table_of(CanonicalAccount)
    statement = select(table.c.id, table.c.name, table.c.website, table.c.country, table.c.parent_id).where(
        table.c.workspace_id == workspace_id, table.c.merged_into_id.is_(None)
    )
    session.flush()
    return pl.read_database(
        statement,
        session.connection(),
        schema_overrides={
            "id": pl.Int64,
            "name": pl.String,
            "website": pl.String,
            "country": pl.String,
            "parent_id": pl.Int64,
        },
    )


def known_pairs(session: Session, workspace_id: int) -> set[tuple[str, str]]:
    """Pairs already suggested or decided (rejected pairs are never suggested again)."""
    rows = session.exec(
        sm_select(AccountMatch.account_id_a, AccountMatch.account_id_b).where(AccountMatch.workspace_id == workspace_id)
    ).all()
    return {(str(a), str(b)) for a, b in rows}


def store_duplicate_pairs(session: Session, workspace_id: int, pairs: pl.DataFrame) -> int:
    """New suggested pairs (ids of canonical accounts, a < b), same-company or related (with the proposed parent);
    known pairs are left as they are."""
    known = known_pairs(session, workspace_id)
    added = 0
    for row in pairs.iter_rows(named=True):
        a, b = sorted((int(row["account_id_a"]), int(row["account_id_b"])))
        if (str(a), str(b)) in known:
            continue
        parent = row.get("parent_id")
        session.add(
            AccountMatch(
                workspace_id=workspace_id,
                account_id_a=a,
                account_id_b=b,
                score=row["score"],
                band=row["band"],
                reason=row["reason"][:2000],
                origin=row.get("origin") or "rules + rapidfuzz",
                cluster=row.get("cluster"),
                relation=row.get("relation") or "same",
                parent_account_id=int(parent) if parent is not None else None,
                status=SUGGESTED,
            )
        )
        added += 1
    return added


def duplicate_review_frame(engine: Engine, workspace_id: int) -> pl.DataFrame:
    """Suggested pairs (same-company and related) with both accounts' names, websites and countries side by side."""
    matches = table_of(AccountMatch)
    accounts = table_of(CanonicalAccount)
    a, b = accounts.alias("a"), accounts.alias("b")
    statement = (
        select(
            matches.c.id,
            matches.c.version,
            matches.c.status,
            matches.c.score,
            matches.c.band,
            matches.c.reason,
            matches.c.cluster,
            matches.c.decided_by,
            matches.c.relation,
            matches.c.parent_account_id,
            matches.c.origin,
            a.c.id.label("id_a"),
            a.c.name.label("name_a"),
            a.c.website.label("website_a"),
            a.c.country.label("country_a"),
            b.c.id.label("id_b"),
            b.c.name.label("name_b"),
            b.c.website.label("website_b"),
            b.c.country.label("country_b"),
            # A pending pair whose account was merged away meanwhile can no longer be decided.
            (a.c.merged_into_id.is_(None) & b.c.merged_into_id.is_(None)).label("both_live"),
        )
        .join(a, a.c.id == matches.c.account_id_a)
        .join(b, b.c.id == matches.c.account_id_b)
        .where(matches.c.workspace_id == workspace_id)
        .order_by(matches.c.score.desc())
    )
    with engine.connect() as connection:
        return pl.read_database(statement, connection, infer_schema_length=None)


# -- LLM answer cache ----------------------------------------------------------------------------

CACHE_WAIT_MS = 250
SQLITE_BUSY_MS = SQLITE_BUSY_SECONDS * 1000


@dataclass
class DatabaseAnswerCache:
    """connectors.llm.AnswerCache on the llm_answer table.

    A cache must never stop the work it speeds up: when the database is busy (SQLite allows one writer, and
    suggestions may run inside another transaction), an answer is kept in memory for this process instead.
    """

    engine: Engine
    pending: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        if key in self.pending:
            return self.pending[key]
        try:
            with Session(self.engine) as session:
                row = session.get(LlmAnswer, key)
                return None if row is None else row.answer
        except OperationalError as exc:
            log.warning("LLM answer cache not readable now (%s); asking again", exc.orig)
            return None

    def put(self, key: str, model: str, answer: str) -> None:
        self.pending[key] = answer
        try:
            with self.engine.connect() as connection:
                sqlite = connection.dialect.name == "sqlite"
                if sqlite:  # wait a moment for the writer, not the 30 s a sync's own writes may wait
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={CACHE_WAIT_MS}")
                try:
                    with Session(bind=connection) as session:
                        for cached_key, text in self.pending.items():
                            if session.get(LlmAnswer, cached_key) is None:
                                session.add(LlmAnswer(key=cached_key, model=model[:120], answer=text))
                        session.commit()
                    connection.commit()  # the session joined the connection's transaction: end that one too
                finally:
                    if sqlite:
                        connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        except (OperationalError, IntegrityError) as exc:
            log.warning("LLM answer kept in memory until the database is free (%s)", exc.orig)
            return
        self.pending.clear()
