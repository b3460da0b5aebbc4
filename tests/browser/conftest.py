"""A real `streamlit run app.py` on 127.0.0.1 and Debian's Chromium driven by Playwright.

Outside CI the browser tests skip when /usr/bin/chromium is missing; in CI (CI=true) that is a failure,
because .ci/run installs it. `playwright install` is never used: it would try to download a browser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.config import PROJECT_ROOT
from tests.conftest import IN_CI

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_browser() -> None:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("Chromium must be installed in CI (.ci/run installs it with apt)")
        pytest.skip("no /usr/bin/chromium on this machine (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(data_dir: Path, log_dir: Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start the app on a free port with its own data folder; returns the process and its URL. The log goes to
    `log_dir` (default: the data folder)."""
    port = _free_port()
    env = {**os.environ, "REVENUE_CONNECTOR_DATA": str(data_dir)}
    env.pop("DATABASE_URL", None)
    log = open((log_dir or data_dir) / "streamlit.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return process, url
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"streamlit did not start: {(data_dir / 'streamlit.log').read_text()[-2000:]}")


@pytest.fixture
def app_server(tmp_path) -> Iterator[str]:
    _require_browser()
    data = tmp_path / "data"
    data.mkdir()
    process, url = start_app(data)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def wait_for_app(page) -> None:
    """Wait until Streamlit has connected, finished the script run and drawn every element."""
    from playwright.sync_api import expect

    page.wait_for_timeout(250)
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=30000
    )
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(state="attached", timeout=30000)
    expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0, timeout=30000)
    page.wait_for_timeout(300)
