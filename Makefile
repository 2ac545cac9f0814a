# The two commands of the README:
#   make run   - set up and start the service on http://127.0.0.1:8000 (embedded defaults)
#   make test  - set up and run the whole test suite
# and, for developers: make lint (ruff + mypy, as CI runs them), make test-fast (unit tests
# without the slow separation-quality ones, about a minute).
PYTHON ?= python3
VENV ?= .venv
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/audiolasso serve

test: $(STAMP)
	$(VENV)/bin/pytest -q

test-fast: $(STAMP)
	$(VENV)/bin/pytest -q tests/unit -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .audiolasso .pytest_cache
