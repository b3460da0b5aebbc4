"""One figure, one number: the sync summary, a dry run, the Pipelines page's figures, the CLI, Revenue and the
figures export show the same weighted open pipeline (and closed-won bookings, ARR components) for the same data."""

import re
from datetime import date

import polars as pl
import pytest

from domain.figures import CLOSED_WON_BOOKINGS, WEIGHTED_OPEN_PIPELINE, figure_label
from domain.insights.data import RevenueFilters
from domain.insights.revenue_view import revenue_view
from domain.roles import local_admin, system_access
from services.exports import export_frame
from services.revenue import load_revenue_data
from services.run_review import summary_tables
from services.sync import run_sync
from storage.frames import read_workspace_table


def test_every_surface_shows_the_same_weighted_open_pipeline(workspace, cli):
    settings, engine, ws, _ = workspace
    landed = run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    pipeline = landed.domains[next(iter(landed.domains))].totals_after
    summary_figure = pipeline[WEIGHTED_OPEN_PIPELINE]
    dry = run_sync(engine, settings, ws, trigger="test", access=system_access("t"), dry_run=True)
    assert next(iter(dry.domains.values())).totals_before[WEIGHTED_OPEN_PIPELINE] == pytest.approx(summary_figure)
    # The Pipelines page's table of figures.
    _, figures = summary_tables(landed, system_access("t"), "USD")
    page = figures.filter(pl.col("Figure") == figure_label(WEIGHTED_OPEN_PIPELINE))["After (USD)"].item()
    # Revenue's headline over every month (the default filters), as the admin sees it.
    data = load_revenue_data(engine, ws)
    revenue = revenue_view(
        data, RevenueFilters(), local_admin(), bridge_start=date(2020, 1, 1), bridge_end=date(2030, 1, 1)
    ).headline["weighted_pipeline"]
    # The figures export, and the CLI's dry run of the same workspace.
    export = export_frame(engine, "figures", ws, local_admin())
    exported = dict(export.select("figure", "value").iter_rows())
    printed = cli(
        "sync", "--workspace", "Acme", "--dry-run", extra_env={"REVENUE_CONNECTOR_DEMO": "0", **_env_of(settings)}
    )
    assert printed.returncode == 0, printed.stderr
    line = next(x for x in printed.stdout.splitlines() if x.strip().startswith(WEIGHTED_OPEN_PIPELINE))
    cli_figure = float(re.search(r"-> ([\d,.-]+)", line).group(1).replace(",", ""))
    assert summary_figure > 0
    for shown in (page, revenue, exported[WEIGHTED_OPEN_PIPELINE], cli_figure):
        assert shown == pytest.approx(summary_figure, abs=0.01)
    # Closed-won deals are bookings, never pipeline: the figure counts open deals only.
    opportunities = read_workspace_table(engine, "opportunities", ws)
    won = opportunities.filter(pl.col("stage") == "closed_won")
    assert won.height and exported[CLOSED_WON_BOOKINGS] == pytest.approx(won["amount_reporting"].sum(), abs=0.01)
    assert summary_figure < opportunities["weighted_amount"].sum()


def _env_of(settings):
    env = {"REVENUE_CONNECTOR_DATA": str(settings.data_dir)}
    if not settings.uses_sqlite:
        env["DATABASE_URL"] = settings.database_url
    return env
