"""Step 5 · Run sync: dry run first, then a real run that commits all or nothing; history and rollback.

Runs work in the background: the page (any page, any tab) can be left while they run, and this page
follows their progress from the database.
"""

import streamlit as st

from domain.errors import RevenueConnectorError
from domain.roles import Permission
from pages._field_drift import fields_held_panel
from pages._schedule import schedule_panel, sync_now_panel
from pages._shell import PAGE_BY_KEY, current_access, figure_table, inline_error, page_link, run_history, step_page
from services.run_review import held_table, runs_for_review, summary_tables
from services.sync import SyncSummary, rollback_to, start_background_sync
from services.sync.lifecycle import current_run
from storage.sync_runs import latest_finished_run

ctx, workspace, step_open = step_page("sync", stop_when_blocked=False)


def _start(dry_run: bool, allow_mass_delete: bool = False, full: bool | None = None) -> None:
    try:
        start_background_sync(
            ctx.engine,
            ctx.settings,
            workspace.id,
            trigger="app",
            access=current_access(),
            dry_run=dry_run,
            full=st.session_state.get("sync_full", False) if full is None else full,
            allow_mass_delete=allow_mass_delete,
        )
    except RevenueConnectorError as exc:
        st.session_state["sync_error"] = exc


def _rollback() -> None:
    run_id = st.session_state.get("sync_rollback_run")
    try:
        restored = rollback_to(ctx.engine, workspace.id, run_id, access=current_access())
    except RevenueConnectorError as exc:
        st.session_state["sync_rollback_error"] = exc
        return
    rows = ", ".join(f"{d.label} {n:,} rows" for d, n in restored.items())
    st.session_state["flash"] = ("success", f"Rolled back to run #{run_id}: {rows}.")


@st.fragment(run_every="2s")
def _follow(run_id: int) -> None:
    run = current_run(ctx.engine, workspace.id)  # a run whose process died is closed here, at once
    if run is None or run.id != run_id:
        st.rerun(scope="app")  # finished: show the outcome with the rest of the page
    label = "Dry run" if run.dry_run else "Sync"
    st.progress(min(run.progress or 0.0, 1.0), text=f"{label} #{run.id}: {run.progress_text or 'working…'}")
    st.caption("You can leave this page: the sync keeps running and this page picks it up again.")


running = current_run(ctx.engine, workspace.id)
if step_open:
    st.markdown(
        "A **dry run** reads and checks everything and shows what would change, writing nothing. "
        "**Run sync** then commits everything at once, or nothing at all if anything fails."
    )
    with st.container(horizontal=True):
        st.button(
            "Dry run",
            key="sync_dry",
            on_click=_start,
            args=(True,),
            icon=":material/preview:",
            disabled=running is not None,
        )
        st.button(
            "Run sync",
            key="sync_run",
            type="primary",
            on_click=_start,
            args=(False,),
            icon=":material/sync:",
            disabled=running is not None,
        )
        st.toggle("Full read (ignore cursors)", key="sync_full")
    inline_error("sync_error")
    sync_now_panel(ctx, workspace, running=running is not None)

if running is not None:
    _follow(running.id)
else:
    last = latest_finished_run(ctx.engine, workspace.id)
    stopped = SyncSummary.from_json(last.summary_json) if last is not None and last.summary_json else None
    if last is not None and last.status != "succeeded":
        st.error(
            f"{'Dry run' if last.dry_run else 'Sync'} #{last.id} {last.status} — nothing was changed. "
            f"{last.error or ''}",
            icon=":material/error:",
        )
        if stopped is not None and stopped.mass_deletions and step_open:
            counts, _ = summary_tables(
                stopped, current_access(), stopped.reporting_currency or workspace.reporting_currency
            )
            figure_table(counts)
            if current_access().may(Permission.FORCE_MASS_DELETE):
                st.button(
                    "Remove them anyway",
                    key="sync_force_mass_delete",
                    on_click=_start,
                    args=(False, True, stopped.full),
                    icon=":material/delete_sweep:",
                    help="Only if the source really lost these records. A later rollback can restore them.",
                )
            else:
                st.caption("Only an admin can let a sync remove this much; ask one if the source is right.")
    elif last is not None and last.summary_json:
        summary = SyncSummary.from_json(last.summary_json)
        kind = "Dry run" if summary.dry_run else "Sync"
        st.subheader(f"{kind} #{summary.run_id} · mapping v{summary.mapping_version} · {summary.seconds:.1f} s")
        if summary.dry_run:
            st.caption("Nothing was written. Run the sync to apply these changes.")
            for line in summary.mass_deletions:
                st.warning(f"A real run would stop here: {line}.", icon=":material/warning:")
        counts, figures = summary_tables(
            summary, current_access(), summary.reporting_currency or workspace.reporting_currency
        )
        figure_table(counts)
        figure_table(figures)
        held = held_table(summary, current_access())
        if held.height:
            st.markdown(
                f"**What {'would not roll up' if summary.dry_run else 'did not roll up'}**, by reason "
                "(fix each where Pipelines says; held rows are retried on every run):"
            )
            figure_table(held)
        if summary.phase_seconds:
            st.caption(f"Time by phase: {summary.phases()}")
        if summary.dry_run and summary.new_fields:
            st.info(
                "\n\n".join(line for line in summary.lines() if "new field" in line), icon=":material/new_releases:"
            )
        if not summary.dry_run:
            page_link(
                PAGE_BY_KEY["pipelines"], label="Review what landed in Pipelines", icon=":material/arrow_forward:"
            )
        fields_held_panel(ctx, workspace)

if step_open:
    st.subheader("Schedule")
    schedule_panel(ctx, workspace, may_edit=current_access().may(Permission.RUN_SYNC))

st.subheader("Run history")
run_history(ctx, workspace)
completed = runs_for_review(ctx.engine, workspace.id)
if completed.height > 1:
    with st.expander("Roll back to an earlier run"):
        st.selectbox(
            "Restore the canonical data this run produced",
            completed["id"].to_list(),
            key="sync_rollback_run",
            format_func=lambda run_id: f"Run #{run_id}",
        )
        st.button("Roll back", key="sync_rollback", on_click=_rollback, icon=":material/undo:")
        inline_error("sync_rollback_error")
