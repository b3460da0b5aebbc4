"""Fixtures for sync tests: a workspace on a small demo export, on SQLite and PostgreSQL."""

import pytest

from domain.config import load_settings
from tests.conftest import file_workspace


@pytest.fixture
def workspace(db_env, tmp_path):
    """A workspace on a small demo export (file source 'demo'), routed, mapped and reconciled."""
    settings = load_settings({**db_env, "REVENUE_CONNECTOR_DEMO": "0"})
    folder = tmp_path / "export"
    engine, ws_id = file_workspace(settings, folder)
    yield settings, engine, ws_id, folder
    engine.dispose()
