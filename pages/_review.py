"""Shared review widgets for suggestions (steps 3 and 4): an editable table sorted by uncertainty, filters,
'accept all in the auto-accept band' and saving decisions. Pages pass what differs; logic stays in core/storage."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import streamlit as st

from domain.errors import RevenueConnectorError
from pages._shell import current_access, db_session, inline_error
from services.setup_changes import accept_auto_band, decide
from services.suggestions import approved_in_force
from storage import review

DECISIONS = {"pending": None, "accept": review.APPROVED, "reject": review.REJECTED}
# The Decision column starts at the decision already taken, so a decided row never reads "pending".
DECISION_OF_STATUS = {review.APPROVED: "accept", review.REJECTED: "reject"}
STATUS_WORDS = {
    review.SUGGESTED: "pending",
    review.APPROVED: "approved",
    review.REJECTED: "rejected",
    review.MERGED: "merged",
}
NOTHING_LABEL = "(nothing)"


@dataclass(frozen=True)
class ReviewSpec:
    """What one review table shows: its kind, the subject columns and the target choices."""

    kind: str  # field, stage, value
    subject_columns: dict[str, str]  # frame column -> header
    target_column: str  # frame column holding the chosen target
    targets: dict[str, str]  # target key -> the words the table shows for it, in the order offered
    group_column: str  # filter by this (object, pipeline, field)

    def label_of(self, key: str | None) -> str:
        """What the Maps-to column shows for a target key ('Expected close' for expected_close)."""
        return self.targets.get(key, key) if key else NOTHING_LABEL

    def key_of(self, label: str | None) -> str:
        """The target key behind what the Maps-to column shows; '' for nothing."""
        if label in (None, NOTHING_LABEL):
            return ""
        return next((key for key, words in self.targets.items() if words == label), label)


def _save(ctx, spec: ReviewSpec, rows: list[dict]) -> None:
    changes = st.session_state.get(f"review_{spec.kind}_editor") or {}
    saved, errors = 0, []
    with db_session(ctx) as session:
        for index, edit in (changes.get("edited_rows") or {}).items():
            row = rows[int(index)]
            decision = DECISIONS.get(edit.get("decision", row["decision"]) or "pending")
            target = spec.key_of(edit.get("target", row["target"]))
            if decision is None:
                continue
            try:
                decide(
                    session,
                    spec.kind,
                    row["id"],
                    row["version"],
                    decision,
                    access=current_access(),
                    target=target if decision == review.APPROVED else None,
                    weight=edit.get("weight", row.get("weight")) if spec.kind == "stage" else None,
                )
                saved += 1
            except RevenueConnectorError as exc:
                errors.append(exc)
    st.session_state.pop(f"review_{spec.kind}_editor", None)
    if errors:
        st.session_state[f"review_{spec.kind}_error"] = errors[0]
    st.session_state["flash"] = (
        "success",
        f"{saved} decision(s) saved"
        + (f"; {len(errors)} were decided by someone else meanwhile and kept their decision." if errors else "."),
    )


def _accept_auto(ctx, kind: str, workspace_id: int) -> None:
    with db_session(ctx) as session:
        count = accept_auto_band(session, kind, workspace_id, access=current_access())
    st.session_state["flash"] = ("success", f"{count} suggestion(s) in the auto-accept band approved.")


def review_table(ctx, workspace, spec: ReviewSpec) -> None:
    """The review table of one kind with its filters and buttons."""
    frame = review.review_frame(ctx.engine, spec.kind, workspace.id)
    if frame.is_empty():
        st.caption("No suggestions yet.")
        return
    with db_session(ctx) as session:
        in_force = approved_in_force(session, spec.kind, workspace.id)

    def status_words(row: dict) -> str:
        if row["status"] == review.APPROVED:
            return "approved · in force" if row["id"] in in_force else "approved · not in force yet"
        return STATUS_WORDS.get(row["status"], row["status"])

    counts = frame.group_by("status").len()
    summary = ", ".join(f"{n} {STATUS_WORDS.get(s, s)}" for s, n in counts.sort("status").iter_rows())
    pending_auto = frame.filter((pl.col("status") == review.SUGGESTED) & (pl.col("band") == "auto-accept")).height
    left, middle, right = st.columns([2, 2, 2])
    groups = left.multiselect(
        "Show",
        sorted(frame[spec.group_column].drop_nulls().unique().to_list()),
        key=f"review_{spec.kind}_groups",
        placeholder="all",
    )
    bands = middle.multiselect(
        "Band", ["auto-accept", "review", "reject"], key=f"review_{spec.kind}_bands", placeholder="all bands"
    )
    right.button(
        f"Accept all {pending_auto} in the auto-accept band",
        key=f"review_{spec.kind}_auto",
        on_click=_accept_auto,
        args=(ctx, spec.kind, workspace.id),
        disabled=pending_auto == 0,
        icon=":material/done_all:",
        width="stretch",
    )
    shown = frame
    if groups:
        shown = shown.filter(pl.col(spec.group_column).is_in(groups))
    if bands:
        shown = shown.filter(pl.col("band").is_in(bands))
    st.caption(
        f"{summary}. Most uncertain first. Choose **accept** or **reject** in the Decision column (accept "
        "with another target by changing it), then save."
    )
    rows = [
        {
            "id": r["id"],
            "version": r["version"],
            "decision": DECISION_OF_STATUS.get(r["status"], "pending"),
            **{header: r[column] for column, header in spec.subject_columns.items()},
            "target": spec.label_of(r[spec.target_column]),
            **({"weight": r["weight"]} if spec.kind == "stage" else {}),
            "score": r["score"],
            "band": r["band"],
            "why": r["reason"],
            "runner-up": r["runner_up"] or "",
            "origin": r["origin"],
            "status": status_words(r),
            "decided by": r["decided_by"] or "",
        }
        for r in shown.iter_rows(named=True)
    ]
    config = {
        "id": None,
        "version": None,
        "decision": st.column_config.SelectboxColumn("Decision", options=list(DECISIONS), width="small", required=True),
        "target": st.column_config.SelectboxColumn(
            "Maps to", options=[NOTHING_LABEL, *spec.targets.values()], required=True
        ),
        "score": st.column_config.ProgressColumn("Score", min_value=0.0, max_value=1.0, format="%.2f", width="small"),
        "weight": st.column_config.NumberColumn("Weight", min_value=0.0, max_value=1.0, step=0.05, format="%.2f"),
        # Headers in words; the keys stay short for the code that reads the edits.
        **{
            key: st.column_config.Column(key[:1].upper() + key[1:])
            for key in ("band", "why", "runner-up", "origin", "status", "decided by")
        },
        **{
            header: st.column_config.Column(header[:1].upper() + header[1:]) for header in spec.subject_columns.values()
        },
    }
    editable = {"decision", "target", "weight"}
    st.data_editor(
        pl.DataFrame(rows, infer_schema_length=None),
        key=f"review_{spec.kind}_editor",
        hide_index=True,
        width="stretch",
        column_config=config,
        disabled=[c for c in rows[0] if c not in editable],
        height=min(38 + 35 * len(rows), 420),
    )
    st.button(
        "Save decisions",
        key=f"review_{spec.kind}_save",
        on_click=_save,
        args=(ctx, spec, rows),
        type="primary",
        icon=":material/save:",
    )
    inline_error(f"review_{spec.kind}_error")
