"""Step 4's duplicate-account review: find pairs, see both accounts side by side, merge, keep apart or undo."""

from __future__ import annotations

import polars as pl
import streamlit as st

from core.errors import RevenueConnectorError
from core.suggestions.accounts import surviving_name
from core.suggestions.model import thresholds_from
from core.suggestions.workspace import suggest_duplicate_accounts
from pages._shell import current_actor, db_session, inline_error
from storage import review
from storage.accounts import account_count

SHOWN = 15


def _find(ctx, workspace_id: int) -> None:
    try:
        with db_session(ctx) as session:
            added = suggest_duplicate_accounts(session, workspace_id, thresholds=thresholds_from(ctx.settings))
    except RevenueConnectorError as exc:
        st.session_state["duplicates_error"] = exc
        return
    st.session_state["flash"] = ("success", f"{added} new possible duplicate pair(s) to review."
                                 if added else "No new possible duplicates: every pair found was already reviewed.")


def _merge(ctx, match_id: int, version: int, fallback: str) -> None:
    name = (st.session_state.get(f"survivor_{match_id}") or fallback).strip() or fallback
    try:
        with db_session(ctx) as session:
            review.merge_pair(session, match_id, version, surviving_name=name, actor=current_actor())
    except RevenueConnectorError as exc:
        st.session_state["duplicates_error"] = exc
        return
    st.session_state["flash"] = ("success", f"Merged into “{name}”. Undo it below at any time.")


def _keep_apart(ctx, match_id: int, version: int) -> None:
    try:
        with db_session(ctx) as session:
            review.decide(session, "account", match_id, version, review.REJECTED, actor=current_actor())
    except RevenueConnectorError as exc:
        st.session_state["duplicates_error"] = exc
        return
    st.session_state["flash"] = ("success", "Kept apart; this pair will not be suggested again.")


def _merge_auto(ctx, pairs: list[dict]) -> None:
    merged, skipped = 0, 0
    for pair in pairs:
        try:
            with db_session(ctx) as session:
                review.merge_pair(session, pair["id"], pair["version"], actor=current_actor(),
                                  surviving_name=surviving_name([pair["name_a"], pair["name_b"]],
                                                                [pair["website_a"], pair["website_b"]]))
            merged += 1
        except RevenueConnectorError:
            skipped += 1  # decided meanwhile, or one side was merged by an earlier pair of the same cluster
    st.session_state["flash"] = ("success", f"{merged} pair(s) merged" + (f", {skipped} skipped (already decided)."
                                                                           if skipped else "."))


def _unmerge(ctx, match_id: int) -> None:
    try:
        with db_session(ctx) as session:
            review.unmerge_pair(session, match_id, actor=current_actor())
    except RevenueConnectorError as exc:
        st.session_state["duplicates_error"] = exc
        return
    st.session_state["flash"] = ("success", "Merge undone: both accounts are separate again.")


def _side(column, name: str, website: str | None, country: str | None, account_id: int) -> None:
    column.markdown(f"**{name}**  \n{website or 'no website'} · {country or 'no country'}  \ncanonical #{account_id}")


def duplicate_review(ctx, workspace) -> None:
    """The 'Possible duplicates' section of step 4."""
    with db_session(ctx) as session:
        accounts = account_count(session, workspace.id)
    if accounts == 0:
        return
    st.subheader("Possible duplicates")
    pairs = review.duplicate_review_frame(ctx.engine, workspace.id)
    pending = pairs.filter(pl.col("status") == review.SUGGESTED) if not pairs.is_empty() else pairs
    auto = pending.filter(pl.col("band") == "auto-accept") if not pending.is_empty() else pending
    with st.container(border=True):
        left, right = st.columns([3, 2])
        left.button("Find possible duplicates", key="duplicates_find", on_click=_find, args=(ctx, workspace.id),
                    icon=":material/person_search:")
        right.button(f"Merge all {auto.height} in the auto-accept band", key="duplicates_auto", on_click=_merge_auto,
                     args=(ctx, auto.to_dicts()), disabled=auto.is_empty(), icon=":material/merge:")
        st.caption("Names are compared after removing legal forms, accents and punctuation, together with website "
                   "and billing country; look-alikes such as Delta Air Lines and Delta Dental are not suggested.")
        inline_error("duplicates_error")
    if pending.is_empty():
        st.caption("No pair waiting for review.")
    for pair in pending.head(SHOWN).iter_rows(named=True):
        with st.container(border=True):
            a, b, decision = st.columns([3, 3, 3])
            _side(a, pair["name_a"], pair["website_a"], pair["country_a"], pair["id_a"])
            _side(b, pair["name_b"], pair["website_b"], pair["country_b"], pair["id_b"])
            proposed = surviving_name([pair["name_a"], pair["name_b"]], [pair["website_a"], pair["website_b"]])
            decision.markdown(f"**{pair['score']:.2f}** · {pair['band']}  \n{pair['reason']}")
            decision.text_input("Surviving name", value=proposed, key=f"survivor_{pair['id']}")
            merge, apart = decision.columns(2)
            merge.button("Merge", key=f"merge_{pair['id']}", on_click=_merge, args=(ctx, pair["id"], pair["version"],
                                                                                   proposed), type="primary")
            apart.button("Keep apart", key=f"apart_{pair['id']}", on_click=_keep_apart,
                         args=(ctx, pair["id"], pair["version"]))
    if pending.height > SHOWN:
        st.caption(f"{pending.height - SHOWN} more pair(s) after these; decide these first.")
    merged = pairs.filter(pl.col("status") == review.MERGED) if not pairs.is_empty() else pairs
    if not merged.is_empty():
        with st.expander(f"Merged pairs ({merged.height})"):
            for pair in merged.iter_rows(named=True):
                text, undo = st.columns([5, 1])
                text.markdown(f"#{pair['id_b']} {pair['name_b']} → #{pair['id_a']} **{pair['name_a']}** "
                              f"(by {pair['decided_by']})")
                undo.button("Undo", key=f"unmerge_{pair['id']}", on_click=_unmerge, args=(ctx, pair["id"]))
