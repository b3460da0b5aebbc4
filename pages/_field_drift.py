"""Shared widget: source fields the drift guard held for review (Sync and Pipelines show the same panel)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from pages._shell import PAGE_BY_KEY, figure_table, page_link
from storage.review import fields_held_for_review


def fields_held_panel(ctx, workspace) -> None:
    """A warning with the held fields and a link to step 3; nothing when no field is waiting."""
    held = fields_held_for_review(ctx.engine, workspace.id)
    if held.is_empty():
        return
    st.warning(
        f"**{held.height} new source field(s) appeared after the mapping was approved** and are held for "
        "review: no sync maps them until a reviewer decides in step 3 and puts the mapping in force.",
        icon=":material/new_releases:",
    )
    figure_table(held.with_columns(pl.col("suggested mapping").fill_null("(nothing)")))
    page_link(PAGE_BY_KEY["mapping"], label="Review new fields in step 3", icon=":material/rule:")
