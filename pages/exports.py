"""Exports (data): every table of the workspace as CSV or Parquet, masked for the reader's role."""

import streamlit as st

from pages._shell import current_access, no_workspace_notice, page_start
from services.exports import COMPUTED_TABLES, EXPORT_TABLES, export_frame, to_csv_bytes, to_parquet_bytes
from storage.frames import count_workspace_table

ctx, workspace = page_start("Exports")
if workspace is None:
    no_workspace_notice()
    st.stop()
access = current_access()
st.caption(f"Workspace **{workspace.name}** · every table with its provenance columns (source, source record ID, run).")
if not access.sees_amounts:
    st.info(
        f"Your role ({access.role.label}) sees customer-linked amounts masked as •••, in these files too.",
        icon=":material/visibility_off:",
    )


def _file(table: str, fmt: str):
    # Built only when the button is pressed, not on every rerun of the page.
    def build() -> bytes:
        frame = export_frame(ctx.engine, table, workspace.id, access)
        return to_csv_bytes(frame, workspace.reporting_currency) if fmt == "csv" else to_parquet_bytes(frame)

    return build


slug = workspace.name.lower().replace(" ", "_")
for table in EXPORT_TABLES:
    count = None if table in COMPUTED_TABLES else count_workspace_table(ctx.engine, table.name, workspace.id)
    rows = "computed on download" if count is None else f"{count:,} row{'' if count == 1 else 's'}"
    with st.container(border=True):
        text, csv_col, parquet_col = st.columns([5, 1, 1], vertical_alignment="center")
        text.markdown(f"**{table.title}** · {rows}  \n{table.description}")
        csv_col.download_button(
            "CSV",
            _file(table.name, "csv"),
            file_name=f"{slug}_{table.name}.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"exports_csv_{table.name}",
            icon=":material/download:",
            width="stretch",
        )
        parquet_col.download_button(
            "Parquet",
            _file(table.name, "parquet"),
            file_name=f"{slug}_{table.name}.parquet",
            mime="application/vnd.apache.parquet",
            on_click="ignore",
            key=f"exports_parquet_{table.name}",
            icon=":material/download:",
            width="stretch",
        )
st.caption("Headless: `python -m core export TABLE --workspace NAME --out FILE.csv` (or `.parquet`).")
