"""Step 5 · Run sync: dry run first, then a real run that commits all or nothing; history and rollback."""

import streamlit as st

from core.errors import RevenueConnectorError
from core.run_review import runs_for_review, summary_tables
from core.sync import rollback_to, run_sync
from pages._shell import PAGE_BY_KEY, current_actor, inline_error, run_history, show_error, step_page

ctx, workspace, step_open = step_page("sync", stop_when_blocked=False)


def _request(dry_run: bool) -> None:
    st.session_state["sync_request"] = {"dry_run": dry_run, "full": st.session_state.get("sync_full", False)}


def _rollback() -> None:
    run_id = st.session_state.get("sync_rollback_run")
    try:
        restored = rollback_to(ctx.engine, workspace.id, run_id, actor=current_actor())
    except RevenueConnectorError as exc:
        st.session_state["sync_rollback_error"] = exc
        return
    rows = ", ".join(f"{d.label} {n:,} rows" for d, n in restored.items())
    st.session_state["flash"] = ("success", f"Rolled back to run #{run_id}: {rows}.")


if step_open:
    st.markdown("A **dry run** reads and checks everything and shows what would change, writing nothing. "
                "**Run sync** then commits everything at once, or nothing at all if anything fails.")
    with st.container(horizontal=True):
        st.button("Dry run", key="sync_dry", on_click=_request, args=(True,), icon=":material/preview:")
        st.button("Run sync", key="sync_run", type="primary", on_click=_request, args=(False,), icon=":material/sync:")
        st.toggle("Full read (ignore cursors)", key="sync_full")

    # One-shot: a rerun of this page never starts a second sync by itself.
    request = st.session_state.pop("sync_request", None)
    if request:
        label = "Dry run" if request["dry_run"] else "Sync"
        with st.status(f"{label} running…", expanded=True) as status:
            bar = st.progress(0.0, text="Starting…")
            try:
                summary = run_sync(ctx.engine, ctx.settings, workspace.id, trigger="app", actor=current_actor(),
                                   dry_run=request["dry_run"], full=request["full"],
                                   progress=lambda fraction, text: bar.progress(min(fraction, 1.0), text=text))
            except RevenueConnectorError as exc:
                status.update(label=f"{label} failed — nothing was changed", state="error")
                show_error(exc)
            else:
                st.session_state["sync_last"] = summary
                done = "Dry run complete — nothing was written" if summary.dry_run else "Sync complete"
                status.update(label=f"{done} ({summary.seconds:.1f} s)", state="complete", expanded=False)
                # Rerun so the sidebar, the stepper and the history show the new state.
                st.session_state["flash"] = ("success", f"{done} ({summary.seconds:.1f} s).")
                st.rerun()

    last = st.session_state.get("sync_last")
    if last is not None:
        st.subheader(f"{'Dry run' if last.dry_run else 'Run'} #{last.run_id} · mapping v{last.mapping_version}")
        counts, figures = summary_tables(last)
        st.dataframe(counts, hide_index=True, width="stretch")
        st.dataframe(figures, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(c, format="accounting") for c in ("before", "after", "change")})
        if not last.dry_run:
            st.page_link(PAGE_BY_KEY["pipelines"].file, label="Review what landed in Pipelines",
                         icon=":material/arrow_forward:")

st.subheader("Run history")
run_history(ctx, workspace)
completed = runs_for_review(ctx.engine, workspace.id)
if completed.height > 1:
    with st.expander("Roll back to an earlier run"):
        st.selectbox("Restore the canonical data this run produced", completed["id"].to_list(), key="sync_rollback_run",
                     format_func=lambda run_id: f"Run #{run_id}")
        st.button("Roll back", key="sync_rollback", on_click=_rollback, icon=":material/undo:")
        inline_error("sync_rollback_error")
