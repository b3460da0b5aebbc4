"""Files a user uploads in Connect become a folder the file source reads, under the data folder."""

from __future__ import annotations

import re
from pathlib import Path

from connectors.file_checks import check_file
from domain.config import Settings
from domain.errors import ValidationError

ALLOWED_SUFFIXES = (".csv", ".parquet")
MAX_BYTES = 2 * 1024**3


def upload_folder(settings: Settings, workspace_id: int, connection_name: str) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "_", connection_name.lower()).strip("_") or "upload"
    return settings.data_dir / "uploads" / f"workspace_{workspace_id}" / slug


def save_uploads(settings: Settings, workspace_id: int, connection_name: str, files: list[tuple[str, bytes]]) -> Path:
    """Write uploaded CSV/Parquet files (name, content) into their own folder and return it.

    Each file is written aside and renamed into place, so a failed upload never leaves half a file
    that a sync could read as complete.
    """
    if not files:
        raise ValidationError("Files: choose at least one CSV or Parquet file, or enter a folder.")
    for name, content in files:
        if Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise ValidationError(f"Files: '{name}' is not a .csv or .parquet file.")
        if len(content) > MAX_BYTES:
            raise ValidationError(f"Files: '{name}' is larger than 2 GiB; put it in a folder and enter its path.")
        # Before anything is saved: a binary, ragged or half-quoted file never becomes a connection.
        check_file(Path(name).name, content)
    folder = upload_folder(settings, workspace_id, connection_name)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files:
        target = folder / Path(name).name
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(content)
        tmp.replace(target)
    return folder
