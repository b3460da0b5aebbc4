"""Plan vs actual: read a plan CSV the user uploads, and compare it with ARR actuals by month and segment."""

from __future__ import annotations

import io

import polars as pl

from domain.errors import PlanFileError
from domain.insights.arr_actuals import arr_by_month
from domain.insights.data import RevenueData, RevenueFilters, last_date, month_start

PLAN_COLUMNS = ("month", "segment", "planned_ending_arr", "planned_net_new_arr")
PLAN_EXAMPLE = "month,segment,planned_ending_arr,planned_net_new_arr\n2026-01,Enterprise,1200000,50000\n"
MAX_PLAN_ROWS = 10_000

# The plan as every insight reads it (one row per month and segment; '' is the whole company).
PLAN_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "segment": pl.String(),
    "planned_ending_arr": pl.Float64(),
    "planned_net_new_arr": pl.Float64(),
}


def parse_plan(content: bytes) -> pl.DataFrame:
    """A validated plan: month (first day), segment ("" = company), planned ending and/or net new ARR.

    Errors name the line (as a spreadsheet numbers it, the header being line 1) and the column.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlanFileError(
            "The plan file is not UTF-8 text.", hint="Save it as CSV UTF-8 and upload it again."
        ) from exc
    try:
        raw = pl.read_csv(io.StringIO(text), infer_schema=False, truncate_ragged_lines=False)
    except pl.exceptions.PolarsError as exc:
        raise PlanFileError(
            f"The plan file is not a readable CSV: {str(exc).splitlines()[0]}",
            hint=f"Expected columns: {', '.join(PLAN_COLUMNS)}.",
        ) from exc
    raw = raw.rename({c: c.strip().lower().replace(" ", "_") for c in raw.columns})
    if "month" not in raw.columns:
        raise PlanFileError(
            "The plan file has no 'month' column.", hint=f"Expected columns: {', '.join(PLAN_COLUMNS)}."
        )
    figures = [c for c in ("planned_ending_arr", "planned_net_new_arr") if c in raw.columns]
    if not figures:
        raise PlanFileError("The plan file needs a 'planned_ending_arr' or a 'planned_net_new_arr' column (or both).")
    unknown = sorted(set(raw.columns) - set(PLAN_COLUMNS))
    if unknown:
        raise PlanFileError(
            f"The plan file has unknown column(s): {', '.join(unknown)}.",
            hint=f"Expected columns: {', '.join(PLAN_COLUMNS)}.",
        )
    if raw.height > MAX_PLAN_ROWS:
        raise PlanFileError(f"The plan file has {raw.height:,} rows; at most {MAX_PLAN_ROWS:,} are accepted.")
    if raw.is_empty():
        raise PlanFileError("The plan file has a header but no rows.")
    text_month = pl.col("month").str.strip_chars()
    typed = raw.with_row_index("line", offset=2).with_columns(
        pl.coalesce(
            text_month.str.to_date("%Y-%m-%d", strict=False), (text_month + "-01").str.to_date("%Y-%m-%d", strict=False)
        ).alias("_month"),
        *[
            pl.col(c).str.strip_chars().str.replace_all(",", "").cast(pl.Float64, strict=False).alias(f"_{c}")
            for c in figures
        ],
        (pl.col("segment").str.strip_chars().fill_null("") if "segment" in raw.columns else pl.lit("")).alias(
            "_segment"
        ),
    )
    _first_bad(typed, pl.col("_month").is_null(), "month", "is not a month (use 2026-01 or 2026-01-31)")
    for c in figures:
        _first_bad(
            typed, pl.col(f"_{c}").is_null() & pl.col(c).str.strip_chars().fill_null("").ne(""), c, "is not a number"
        )
    typed = typed.with_columns(pl.col("_month").dt.truncate("1mo"))
    _first_bad(
        typed,
        pl.all_horizontal(pl.col(f"_{c}").is_null() for c in figures),
        figures[0],
        "is empty: a row needs a planned figure",
    )
    duplicated = typed.filter(pl.struct("_month", "_segment").is_duplicated())
    if not duplicated.is_empty():
        row = duplicated.row(1, named=True)
        raise PlanFileError(
            f"Line {row['line']}: month {row['_month']:%Y-%m}"
            + (f" and segment {row['_segment']}" if row["_segment"] else "")
            + " appear twice in the plan."
        )
    return (
        typed.select(
            pl.col("_month").alias("month"),
            pl.col("_segment").alias("segment"),
            *[
                (pl.col(f"_{c}") if c in figures else pl.lit(None, pl.Float64)).alias(c)
                for c in ("planned_ending_arr", "planned_net_new_arr")
            ],
        )
        .cast(pl.Schema(PLAN_SCHEMA))
        .sort("month", "segment")
    )


def _first_bad(frame: pl.DataFrame, bad: pl.Expr, column: str, problem: str) -> None:
    rows = frame.filter(bad)
    if not rows.is_empty():
        row = rows.row(0, named=True)
        raise PlanFileError(
            f"Line {row['line']}, column '{column}': {row.get(column)!r} {problem}."
            + (f" {rows.height - 1} more line(s) have the same problem." if rows.height > 1 else "")
        )


def plan_vs_actual(data: RevenueData, filters: RevenueFilters) -> pl.DataFrame:
    """month, segment, planned and actual ending / net new ARR, variance and variance % — by month and segment.

    A company-level plan row (segment "") compares with all segments together; a segment row with
    that segment's actuals. Months outside the plan are left out.
    """
    schema = {
        "month": pl.Date,
        "segment": pl.String,
        "planned_ending_arr": pl.Float64,
        "actual_ending_arr": pl.Float64,
        "ending_variance": pl.Float64,
        "ending_variance_pct": pl.Float64,
        "planned_net_new_arr": pl.Float64,
        "actual_net_new_arr": pl.Float64,
        "net_new_variance": pl.Float64,
        "accounts": pl.UInt32,
    }
    plan = data.plan
    if filters.segments:
        plan = plan.filter(pl.col("segment").is_in(list(filters.segments)) | (pl.col("segment") == ""))
    if filters.start:
        plan = plan.filter(pl.col("month") >= month_start(filters.start))
    if filters.end:
        plan = plan.filter(pl.col("month") <= month_start(filters.end))
    if plan.is_empty():
        return pl.DataFrame(schema=schema)
    last = last_date(plan["month"])
    assert last is not None  # the plan is not empty
    parts = []
    for segment in plan["segment"].unique().sort().to_list():  # a handful of segments, each one vectorised
        scope = RevenueFilters(end=last, segments=(segment,) if segment else filters.segments)
        actual = arr_by_month(data, scope).with_columns(pl.lit(segment).alias("segment"))
        parts.append(actual)
    actuals = pl.concat(parts) if parts else pl.DataFrame(schema={"month": pl.Date, "segment": pl.String})
    joined = plan.join(actuals, on=["month", "segment"], how="left")
    return (
        joined.with_columns(
            pl.col("ending_arr").alias("actual_ending_arr"),
            pl.col("net_new_arr").alias("actual_net_new_arr"),
            (pl.col("ending_arr") - pl.col("planned_ending_arr")).round(2).alias("ending_variance"),
            ((pl.col("ending_arr") - pl.col("planned_ending_arr")) / pl.col("planned_ending_arr").abs() * 100)
            .round(1)
            .alias("ending_variance_pct"),
            (pl.col("net_new_arr") - pl.col("planned_net_new_arr")).round(2).alias("net_new_variance"),
            pl.col("accounts").fill_null(0),
        )
        .select(list(schema))
        .cast(pl.Schema(schema))
        .sort("month", "segment")
    )


def plan_table(variance: pl.DataFrame, currency: str) -> pl.DataFrame:
    """The plan-vs-actual rows as the page shows them: months as "Dec 2025", the company line named, the variance
    share with its % sign, headers in words (amounts stay numbers, in `currency`)."""
    share = pl.col("ending_variance_pct") + 0.0  # + 0.0: never "-0.0%"
    return variance.select(
        pl.col("month").dt.strftime("%b %Y").alias("Month"),
        pl.when(pl.col("segment") == "").then(pl.lit("Company")).otherwise(pl.col("segment")).alias("Segment"),
        pl.col("planned_ending_arr").alias(f"Planned ending ARR ({currency})"),
        pl.col("actual_ending_arr").alias(f"Actual ending ARR ({currency})"),
        pl.col("ending_variance").alias(f"Ending ARR variance ({currency})"),
        pl.when(share.is_null()).then(None).otherwise(pl.format("{}%", share.round(1))).alias("Ending ARR variance %"),
        pl.col("planned_net_new_arr").alias(f"Planned net new ARR ({currency})"),
        pl.col("actual_net_new_arr").alias(f"Actual net new ARR ({currency})"),
        pl.col("net_new_variance").alias(f"Net new ARR variance ({currency})"),
    )
