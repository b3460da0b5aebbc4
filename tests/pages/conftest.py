"""AppTest fixtures: every test gets its own installation and clean Streamlit caches."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from domain.config import PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"

from pages._shell import PAGES


@pytest.fixture(autouse=True)
def isolated_app(env, monkeypatch):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def open_page():
    """open_page('domains', ws='Demo') -> an AppTest that has rendered that page through app.py."""

    def _open(key: str, ws: str | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        if ws:
            at.query_params["ws"] = ws
        at.run()
        spec = next(p for p in PAGES if p.key == key)
        at.switch_page(spec.file).run()
        return at

    return _open


def texts(at: AppTest) -> str:
    """All visible text of a run, for asserting on what the user reads."""
    parts = []
    for kind in ("title", "markdown", "caption", "info", "success", "warning", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)
