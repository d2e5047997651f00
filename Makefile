PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck install install-dev vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The UI's front-end packages: npm ci (package-lock.json), then copied into watchkeep/web/static/vendor/
vendor:
	$(PYTHON) tools/vendor.py

install: $(BIN)/python vendor
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python vendor
	$(BIN)/pip install --quiet -e '.[dev]'

run: install
	$(BIN)/watchkeep serve --host 127.0.0.1 --port 8080 --database-url sqlite:///./data/watchkeep.db

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

# Two workers; the tests of one expensive shared server (dockerd, chromium) share a worker.
TEST_WORKERS ?= 2
test: install-dev lint typecheck
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache node_modules watchkeep/web/static/vendor
