"""An incremental run skips a file whose bytes did not change since the last successful run (issue 20): it reads
only the header, keeps what is held in quarantine, and reads again as soon as the content changes."""

import os

import polars as pl

from domain.canonical import Domain
from domain.roles import system_access
from services.sync.run import run_sync


def _sync(workspace, **kwargs):
    settings, engine, ws, _ = workspace
    return run_sync(engine, settings, ws, trigger="test", access=system_access("t"), **kwargs)


def test_an_unchanged_file_is_not_read_again_and_its_quarantine_stays_held(workspace):
    folder = workspace[3]
    full = _sync(workspace, full=True)
    held = full.domains[Domain.PIPELINE].quarantined
    assert held > 0 and full.domains[Domain.PIPELINE].unchanged_files == []

    again = _sync(workspace)
    pipeline = again.domains[Domain.PIPELINE]
    assert pipeline.unchanged_files == ["opportunities"]
    assert again.domains[Domain.ARR_ACTUALS].unchanged_files == ["arr_movements"]
    # Only the rows held in quarantine were processed again, and they are still held (not released).
    assert pipeline.read == held and pipeline.quarantined == held
    assert (pipeline.added, pipeline.changed, pipeline.tombstoned) == (0, 0, 0)
    assert "not read again, unchanged since the last run: opportunities" in "\n".join(again.lines())

    # Touched but not changed (a copy tool rewrote it): the hash still matches.
    path = folder / "opportunities.csv"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert _sync(workspace).domains[Domain.PIPELINE].unchanged_files == ["opportunities"]

    # One amount changes (with a newer modification time): the file is read again and the change lands.
    rows = pl.read_csv(path, infer_schema=False)
    first = rows["Id"][0]
    rows.with_columns(
        pl.when(pl.col("Id") == first).then(pl.lit("123456")).otherwise(pl.col("Amount")).alias("Amount"),
        pl.when(pl.col("Id") == first)
        .then(pl.lit("2026-11-30T08:00:00.000+0000"))
        .otherwise(pl.col("LastModifiedDate"))
        .alias("LastModifiedDate"),
    ).write_csv(path)
    changed = _sync(workspace).domains[Domain.PIPELINE]
    assert changed.unchanged_files == [] and changed.changed == 1

    # That change altered the file's size, so it was not hashed; touched again at the same size, the file is read
    # once (there is no hash to compare), and from then on recognised.
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    reread = _sync(workspace).domains[Domain.PIPELINE]
    assert reread.unchanged_files == [] and (reread.added, reread.changed, reread.tombstoned) == (0, 0, 0)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert _sync(workspace).domains[Domain.PIPELINE].unchanged_files == ["opportunities"]


def test_a_full_run_always_reads_the_file(workspace):
    _sync(workspace, full=True)
    again = _sync(workspace, full=True)
    assert again.domains[Domain.PIPELINE].unchanged_files == [] and again.domains[Domain.PIPELINE].read > 100
