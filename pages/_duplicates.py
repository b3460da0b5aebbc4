"""Step 4's account review: clusters of accounts the engine believes are one company (merge them) or one group
(link a regional or legal entity under its parent), each cluster in one panel; every decision can be undone."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import streamlit as st

from domain.errors import RevenueConnectorError
from domain.suggestions.accounts import surviving_name
from domain.suggestions.model import thresholds_from
from pages._shell import current_access, db_session, figure_table, inline_error
from services import account_review
from services.suggestions import pair_judge, suggest_duplicate_accounts
from storage import review
from storage.accounts import account_count

SHOWN = 10  # clusters per page of review; decide these first


def _decision(ctx, success: str, action: Callable[..., None], *args, **kwargs) -> None:
    """Run one review decision in its own transaction; a refused one is shown where the user acted."""
    try:
        with db_session(ctx) as session:
            action(session, *args, **kwargs)
    except RevenueConnectorError as exc:
        st.session_state["duplicates_error"] = exc
        return
    st.session_state["flash"] = ("success", success)


def _find(ctx, workspace_id: int) -> None:
    thresholds = thresholds_from(ctx.settings)
    try:
        with db_session(ctx) as session:
            found = suggest_duplicate_accounts(
                session, workspace_id, thresholds=thresholds, judge=pair_judge(ctx.settings, ctx.engine, thresholds)
            )
    except RevenueConnectorError as exc:
        st.session_state["duplicates_error"] = exc
        return
    said = (
        f"{found.added} new possible duplicate or related pair(s) to review."
        if found.added
        else "Nothing new: every pair found was already reviewed."
    )
    st.session_state["flash"] = (
        "warning" if found.llm.failure else "success",
        " ".join(filter(None, [said, found.llm.message])),
    )


def _merge(ctx, match_id: int, version: int, fallback: str) -> None:
    name = (st.session_state.get(f"survivor_{match_id}") or fallback).strip() or fallback
    _decision(
        ctx,
        f"Merged into “{name}”. Undo it below at any time.",
        account_review.merge_pair,
        match_id,
        version,
        surviving_name=name,
        access=current_access(),
    )


def _link(ctx, match_id: int, version: int, parent_id: int, parent_name: str, child_name: str) -> None:
    _decision(
        ctx,
        f"“{child_name}” is now an entity of “{parent_name}”; Revenue rolls it up there. Undo it below.",
        account_review.link_parent,
        match_id,
        version,
        parent_id=parent_id,
        access=current_access(),
    )


def _keep_apart(ctx, match_id: int, version: int) -> None:
    _decision(
        ctx,
        "Kept apart; this pair will not be suggested again.",
        account_review.keep_apart,
        match_id,
        version,
        access=current_access(),
    )


def _merge_auto(ctx, pairs: list[dict]) -> None:
    merged, skipped = 0, 0
    for pair in pairs:
        try:
            with db_session(ctx) as session:
                account_review.merge_pair(
                    session,
                    pair["id"],
                    pair["version"],
                    access=current_access(),
                    surviving_name=surviving_name(
                        [pair["name_a"], pair["name_b"]], [pair["website_a"], pair["website_b"]]
                    ),
                )
            merged += 1
        except RevenueConnectorError:
            skipped += 1  # decided meanwhile, or one side was merged by an earlier pair of the same cluster
    st.session_state["flash"] = (
        "success",
        f"{merged} pair(s) merged" + (f", {skipped} skipped (already decided)." if skipped else "."),
    )


def _undo(ctx, match_id: int, linked: bool) -> None:
    if linked:
        _decision(
            ctx,
            "Link undone: the entity no longer rolls up to that parent.",
            account_review.unlink_parent,
            match_id,
            access=current_access(),
        )
    else:
        _decision(
            ctx,
            "Merge undone: both accounts are separate again.",
            account_review.unmerge_pair,
            match_id,
            access=current_access(),
        )


def _members(pairs: pl.DataFrame) -> pl.DataFrame:
    """The distinct accounts of a cluster's pairs, in words."""
    sides = [
        pairs.select(
            pl.col(f"id_{s}").alias("id"),
            pl.col(f"name_{s}").alias("Account"),
            pl.col(f"website_{s}").alias("Website"),
            pl.col(f"country_{s}").alias("Country"),
        )
        for s in ("a", "b")
    ]
    return (
        pl.concat(sides)
        .unique("id")
        .sort("Account")
        .with_columns(pl.col("Website", "Country").fill_null("—"))
        .drop("id")
    )


def _same_pair(ctx, pair: dict) -> None:
    a, b, decision = st.columns([3, 3, 4])
    for column, side in ((a, "a"), (b, "b")):
        column.markdown(
            f"**{pair[f'name_{side}']}**  \n{pair[f'website_{side}'] or 'no website'} · "
            f"{pair[f'country_{side}'] or 'no country'}"
        )
    proposed = surviving_name([pair["name_a"], pair["name_b"]], [pair["website_a"], pair["website_b"]])
    decision.markdown(f"Same company? **{pair['score']:.2f}** · {pair['band']}  \n{pair['reason']}")
    decision.text_input("Surviving name", value=proposed, key=f"survivor_{pair['id']}")
    merge, apart = decision.columns(2)
    merge.button(
        "Merge",
        key=f"merge_{pair['id']}",
        on_click=_merge,
        type="primary",
        args=(ctx, pair["id"], pair["version"], proposed),
    )
    apart.button("Keep apart", key=f"apart_{pair['id']}", on_click=_keep_apart, args=(ctx, pair["id"], pair["version"]))


def _related_pair(ctx, pair: dict) -> None:
    parent = "a" if pair["parent_account_id"] in (None, pair["id_a"]) else "b"
    child = "b" if parent == "a" else "a"
    names = {side: pair[f"name_{side}"] for side in ("a", "b")}
    text, decision = st.columns([6, 4])
    text.markdown(
        f"**{names[child]}** looks like an entity of **{names[parent]}** (same group, not the same "
        f"company).  \n{pair['reason']}"
    )
    decision.markdown(f"Related · **{pair['score']:.2f}** · review")
    decision.button(
        f"Link under {names[parent]}",
        key=f"link_{pair['id']}",
        type="primary",
        on_click=_link,
        args=(ctx, pair["id"], pair["version"], pair[f"id_{parent}"], names[parent], names[child]),
    )
    other, apart = decision.columns(2)
    other.button(
        "The other way round",
        key=f"link_swap_{pair['id']}",
        on_click=_link,
        args=(ctx, pair["id"], pair["version"], pair[f"id_{child}"], names[child], names[parent]),
        help=f"Link {names[parent]} under {names[child]} instead",
    )
    apart.button(
        "Not related", key=f"apart_{pair['id']}", on_click=_keep_apart, args=(ctx, pair["id"], pair["version"])
    )


def _cluster_panel(ctx, cluster: pl.DataFrame) -> None:
    same = cluster.filter(pl.col("relation") == "same")
    related = cluster.filter(pl.col("relation") == "related")
    members = _members(cluster)
    title = (
        f"{members.height} accounts: one company"
        if related.is_empty()
        else f"{members.height} accounts: one group"
        if same.is_empty()
        else f"{members.height} accounts: one company and its entities"
    )
    with st.container(border=True):
        st.markdown(f"**{title}**")
        figure_table(members)
        for pair in same.iter_rows(named=True):
            _same_pair(ctx, pair)
        for pair in related.iter_rows(named=True):
            _related_pair(ctx, pair)


def duplicate_review(ctx, workspace) -> None:
    """The 'Possible duplicates and related accounts' section of step 4."""
    with db_session(ctx) as session:
        accounts = account_count(session, workspace.id)
    if accounts == 0:
        return
    st.subheader("Possible duplicates and related accounts")
    pairs = review.duplicate_review_frame(ctx.engine, workspace.id)
    pending = (
        pairs.filter((pl.col("status") == review.SUGGESTED) & pl.col("both_live")) if not pairs.is_empty() else pairs
    )
    # "Accept all" only ever merges one company's records; a related pair always asks which is the parent.
    auto = (
        pending.filter((pl.col("band") == "auto-accept") & (pl.col("relation") == "same"))
        if not pending.is_empty()
        else pending
    )
    with st.container(border=True):
        left, right = st.columns([3, 2])
        left.button(
            "Find possible duplicates",
            key="duplicates_find",
            on_click=_find,
            args=(ctx, workspace.id),
            icon=":material/person_search:",
        )
        right.button(
            f"Merge all {auto.height} in the auto-accept band",
            key="duplicates_auto",
            on_click=_merge_auto,
            args=(ctx, auto.to_dicts()),
            disabled=auto.is_empty(),
            icon=":material/merge:",
        )
        st.caption(
            "Names are compared in any script after removing legal forms, accents and punctuation, together "
            "with website and billing country; look-alikes such as Delta Air Lines and Delta Dental are not "
            "suggested. A regional or legal entity of a group (Acme UK Ltd, Acme (EMEA)) is suggested as "
            "related: link it under its parent and Revenue rolls it up there."
        )
        inline_error("duplicates_error")
    if pending.is_empty():
        st.caption("No pair waiting for review.")
    else:
        keyed = pending.with_columns(pl.col("cluster").fill_null(-pl.col("id")).alias("_cluster"))
        order = (
            keyed.group_by("_cluster").agg(pl.col("score").max()).sort(["score", "_cluster"], descending=[True, False])
        )
        for number in order["_cluster"].head(SHOWN):
            _cluster_panel(ctx, keyed.filter(pl.col("_cluster") == number).sort("score", descending=True))
        if order.height > SHOWN:
            st.caption(f"{order.height - SHOWN} more cluster(s) after these; decide these first.")
    done = pairs.filter(pl.col("status").is_in([review.MERGED, review.LINKED])) if not pairs.is_empty() else pairs
    if not done.is_empty():
        with st.expander(f"Merged and linked accounts ({done.height})"):
            for pair in done.iter_rows(named=True):
                text, undo = st.columns([5, 1])
                if pair["status"] == review.LINKED:
                    parent, child = ("a", "b") if pair["parent_account_id"] == pair["id_a"] else ("b", "a")
                    text.markdown(
                        f"{pair[f'name_{child}']} ↳ entity of **{pair[f'name_{parent}']}** (by {pair['decided_by']})"
                    )
                else:
                    text.markdown(f"{pair['name_b']} → merged into **{pair['name_a']}** (by {pair['decided_by']})")
                undo.button(
                    "Undo",
                    key=f"undo_{pair['id']}",
                    on_click=_undo,
                    args=(ctx, pair["id"], pair["status"] == review.LINKED),
                )
