"""Altair charts of the Revenue page. They encode aggregated frames from core; they compute nothing."""

from __future__ import annotations

import altair as alt
import polars as pl

from domain.insights.forecast import SLIPPED_LABEL

MONEY = ",.0f"
SLIPPED_COLOUR = "#d62728"
_KIND_COLORS = alt.Scale(
    domain=["total", "increase", "decrease", "fx"], range=["#4c78a8", "#54a24b", "#e45756", "#b279a2"]
)


def pipeline_against_arr(pipeline: pl.DataFrame, arr: pl.DataFrame, currency: str) -> alt.LayerChart:
    """Stacked weighted pipeline bars and net new ARR (left axis) with an ending ARR line (right axis), one time axis."""
    month = alt.X("yearmonth(month):T", title="Month (expected close / effective date)", axis=alt.Axis(format="%b %Y"))
    stage_order = pipeline.select("stage_label", "stage_order").unique().sort("stage_order")["stage_label"].to_list()
    # Stages in blues from early to late; slipped deals (forecast.py) stand out in red.
    blues = ["#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
    stages = [label for label in stage_order if label != SLIPPED_LABEL]
    stage_colours = [blues[min(i, len(blues) - 1)] for i in range(len(stages))]
    if SLIPPED_LABEL in stage_order:  # its order is -1: first in the legend
        stage_colours = [SLIPPED_COLOUR, *stage_colours]
    bars = (
        alt.Chart(pipeline)
        .mark_bar(opacity=0.85)
        .encode(
            x=month,
            y=alt.Y(
                "sum(weighted_amount):Q",
                title=f"Weighted pipeline, net new ARR ({currency})",
                axis=alt.Axis(format="~s"),
            ),
            color=alt.Color(
                "stage_label:N",
                title="Stage",
                sort=stage_order,
                scale=alt.Scale(domain=stage_order, range=stage_colours),
            ),
            order=alt.Order("stage_order:Q"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip("stage_label:N", title="Stage"),
                alt.Tooltip("weighted_amount:Q", title="Weighted", format=MONEY),
                alt.Tooltip("amount:Q", title="Unweighted", format=MONEY),
                alt.Tooltip("deals:Q", title="Deals"),
            ],
        )
    )
    net_new = (
        alt.Chart(arr)
        .mark_line(point=True, color="#f58518", strokeDash=[4, 3])
        .encode(
            x=month,
            y=alt.Y("net_new_arr:Q"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip("net_new_arr:Q", title="Net new ARR", format=MONEY),
            ],
        )
    )
    ending = (
        alt.Chart(arr)
        .mark_line(color="#2f2f2f", strokeWidth=2.5)
        .encode(
            x=month,
            y=alt.Y("ending_arr:Q", title=f"Ending ARR ({currency}, black line)", axis=alt.Axis(format="~s")),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip("ending_arr:Q", title="Ending ARR", format=MONEY),
            ],
        )
    )
    return alt.layer(alt.layer(bars, net_new), ending).resolve_scale(y="independent").properties(height=380)


def arr_bridge_waterfall(bridge: pl.DataFrame, currency: str) -> alt.LayerChart:
    """Opening → components → (FX) → closing, each bar floating from where the previous one ended."""
    order = bridge.sort("order")["step"].to_list()
    base = alt.Chart(bridge).encode(x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar(size=48).encode(
        y=alt.Y("bar_start:Q", title=f"ARR ({currency})", axis=alt.Axis(format="~s")),
        y2="bar_end:Q",
        color=alt.Color("kind:N", scale=_KIND_COLORS, legend=None),
        tooltip=[
            alt.Tooltip("step:N", title="Step"),
            alt.Tooltip("amount:Q", title="Amount", format=MONEY),
            alt.Tooltip("accounts:Q", title="Accounts"),
        ],
    )
    labels = base.mark_text(dy=-8, fontSize=12).encode(
        y=alt.Y("bar_end:Q"),
        text=alt.Text("amount:Q", format=",.3~s"),
    )
    return alt.layer(bars, labels).properties(height=360)


def plan_against_actual(variance: pl.DataFrame, currency: str) -> alt.LayerChart:
    """Planned (dashed) and actual (solid) ending ARR by month, one colour per segment."""
    long = pl.concat(
        [
            variance.select(
                "month", "segment", pl.lit("Planned").alias("series"), pl.col("planned_ending_arr").alias("arr")
            ),
            variance.select(
                "month", "segment", pl.lit("Actual").alias("series"), pl.col("actual_ending_arr").alias("arr")
            ),
        ]
    ).with_columns(
        pl.when(pl.col("segment") == "").then(pl.lit("Company")).otherwise(pl.col("segment")).alias("segment")
    )
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title="Month", axis=alt.Axis(format="%b %Y")),
            y=alt.Y("arr:Q", title=f"Ending ARR ({currency})", axis=alt.Axis(format="~s")),
            color=alt.Color("segment:N", title="Segment"),
            strokeDash=alt.StrokeDash("series:N", title="Series", sort=["Actual", "Planned"]),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                "segment:N",
                "series:N",
                alt.Tooltip("arr:Q", title="Ending ARR", format=MONEY),
            ],
        )
        .properties(height=340)
    )


def run_volumes_chart(volumes: pl.DataFrame) -> alt.Chart:
    """Rows read, landed and held back per run (grouped bars), oldest run on the left."""
    order = volumes["Run"].unique(maintain_order=True).to_list()
    return (
        alt.Chart(volumes)
        .mark_bar()
        .encode(
            x=alt.X("Run:N", sort=order, title="Run", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("measure:N", sort=["Read", "Landed", "Held back"]),
            y=alt.Y("rows:Q", title="Rows", axis=alt.Axis(format=",d")),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=["Read", "Landed", "Held back"],
                scale=alt.Scale(domain=["Read", "Landed", "Held back"], range=["#4c78a8", "#54a24b", "#e45756"]),
            ),
            tooltip=["Run", "Started", "Kind", "measure", alt.Tooltip("rows:Q", format=",d")],
        )
        .properties(height=260)
    )


def run_phases_chart(phases: pl.DataFrame) -> alt.Chart:
    """Seconds per run, stacked by phase (read, transform, compare, write), oldest run on the left."""
    order = phases["Run"].unique(maintain_order=True).to_list()
    names = ["Read", "Transform", "Compare", "Write"]
    return (
        alt.Chart(phases)
        .mark_bar()
        .encode(
            x=alt.X("Run:N", sort=order, title="Run", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(seconds):Q", title="Seconds"),
            color=alt.Color("phase:N", title="Phase", sort=names, scale=alt.Scale(domain=names)),
            order=alt.Order("phase_order:Q"),
            tooltip=["Run", alt.Tooltip("phase:N", title="Phase"), alt.Tooltip("seconds:Q", format=".2f")],
        )
        .transform_calculate(phase_order=f"indexof({names}, datum.phase)")
        .properties(height=240)
    )


def run_timeline_chart(events: pl.DataFrame) -> alt.Chart:
    """Runs and alerts as marks on one time axis, a lane each, coloured by what happened."""
    return (
        alt.Chart(events)
        .mark_point(filled=True, size=110)
        .encode(
            x=alt.X("When:T", title="When (your time zone)", axis=alt.Axis(format="%d %b %H:%M")),
            y=alt.Y("Lane:N", title=None, sort=["Runs", "Alerts"]),
            color=alt.Color("What:N", title=None),
            shape=alt.Shape(
                "Lane:N", legend=None, scale=alt.Scale(domain=["Runs", "Alerts"], range=["circle", "triangle"])
            ),
            tooltip=[alt.Tooltip("When:T", format="%Y-%m-%d %H:%M"), "Run", "What"],
        )
        .properties(height=160)
    )
