# Two commands for a newcomer: `make demo` (install + run the app on the built-in demo) and
# `make test` (install + run every test). Both create .venv from the repo's own requirement files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: demo test clean

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

test: $(VENV)/.stamp-dev
	$(PY) -m ruff check --quiet .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache artifacts
