# Two commands for a newcomer: `make demo` (install + run the app on the built-in demo) and
# `make test` (install + run every test). Both create .venv from the repo's own requirement files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: demo test test-fast checks clean

$(VENV)/.stamp-runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp-runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

demo: $(VENV)/.stamp-runtime
	$(PY) -m streamlit run app.py --server.port $(PORT)

# Every check CI runs: lint, format, the layer contracts, the type checker, then every test tier.
test: checks
	$(PY) -m pytest

checks: $(VENV)/.stamp-dev
	$(PY) -m ruff check --quiet .
	$(PY) -m ruff format --check --quiet .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

# The pure tier: the domain (and the sync's comparison) with no database, server or browser; seconds.
test-fast: $(VENV)/.stamp-dev
	$(PY) -m pytest -q tests/domain tests/services/sync/test_compare.py

clean:
	rm -rf $(VENV) .pytest_cache artifacts
