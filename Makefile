# On a fresh Debian machine with Python 3.11 and Node.js:
#   make run   installs what it needs, migrates, seeds the demo, serves http://localhost:3000
#   make test  installs the test extras and Chromium, runs the whole suite
#   make lint  installs the test extras, runs ruff, the import contracts and mypy (CI: before test)
#   make test-fast  the inner loop (under 2 minutes): unit tests and a few service suites, SQLite only
#   make check      lint, then test-fast: what to run before pushing
# All are idempotent: stamps in .make/ skip installs until pyproject.toml changes.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make
TOOLS := .tools
BUN_VERSION := 1.4
CHROMIUM ?= $(shell command -v chromium || echo /usr/bin/chromium)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
REDIS_TEST_URL ?= redis://127.0.0.1:6379/1

# Reflex offline: bun from the npm registry, no telemetry, no update or network probes.
export PATH := $(CURDIR)/$(TOOLS)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := 0
export REFLEX_HTTP_CLIENT_BIND_ADDRESS := 0.0.0.0
export NPM_CONFIG_REGISTRY ?= https://registry.npmjs.org/
export PYTHONUNBUFFERED := 1

.PHONY: run run-prod test test-fast check install install-test migrate seed lint clean

# The solves run in a separate worker process beside the web server, taking jobs from the job
# table itself (ICS_JOB_QUEUE=database: no server needed); stopping `make run` stops both.
run: install migrate seed
	export ICS_JOB_QUEUE=$${ICS_JOB_QUEUE:-database}; \
	$(BIN)/ics-capacity worker --concurrency $(SOLVER_WORKERS) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/reflex run --env prod --frontend-port 3000 --backend-port 3000

# Production on one host: WEB_WORKERS web processes (state shared through REFLEX_REDIS_URL) and
# SOLVER_WORKERS solver workers on the queue (ICS_JOB_QUEUE, default REFLEX_REDIS_URL). No demo is
# seeded. Two hosts: `ics-capacity serve` on one and `ics-capacity worker` on the other (Procfile).
WEB_WORKERS ?= 2
SOLVER_WORKERS ?= 1
PORT ?= 3000
run-prod: install migrate
	@test -n "$$REFLEX_REDIS_URL" || { echo "run-prod needs REFLEX_REDIS_URL (e.g. redis://127.0.0.1:6379/0): web workers share state and solver workers take jobs through it."; exit 2; }
	$(BIN)/ics-capacity worker --concurrency $(SOLVER_WORKERS) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/ics-capacity serve --workers $(WEB_WORKERS) --port $(PORT)

# Then the whole browser suite runs again against the app as production runs it
# (ICS_TEST_SERVER=production): PostgreSQL, `ics-capacity serve --workers 2` sharing client
# state in Redis, and a separate `ics-capacity worker` taking solves from a Redis job queue (the
# fault tests, which start their own servers, and one test that changes the in-process app's
# environment, run only the first way). PROD_BROWSER_TESTS narrows it, e.g. to one file.
# Redis and PostgreSQL run on this project's machines and in CI; without them it is skipped.
PROD_BROWSER_TESTS ?= tests/browser
# First every test but the browser's, spread over TEST_WORKERS processes (pytest-xdist; each
# builds its own seeded template databases); then the browser tests in one process of their own,
# as they share one served app, its frontend build and one Chromium, and time their pages.
# PYTEST_ARGS goes to both runs (`make test PYTEST_ARGS="-m 'not browser'"` skips the second).
TEST_WORKERS ?= 2
test: install-test
	$(BIN)/python -m pytest -n $(TEST_WORKERS) tests/unit tests/integration tests/security $(PYTEST_ARGS) \
		|| [ $$? = 5 ]  # 5: PYTEST_ARGS (e.g. -m browser) selected none of these
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS) || [ $$? = 5 ]
	@if $(BIN)/python -c "import redis,sys; sys.exit(0 if redis.Redis.from_url('$(REDIS_TEST_URL)', socket_connect_timeout=2).ping() else 1)" 2>/dev/null \
		&& $(BIN)/python -c "import sqlalchemy as sa, tests.conftest as c; sa.create_engine(c.POSTGRES_ADMIN_URL).connect().close()" 2>/dev/null; then \
		ICS_TEST_SERVER=production ICS_TEST_REDIS_URL=$(REDIS_TEST_URL) $(BIN)/python -m pytest $(PROD_BROWSER_TESTS) -m "not fault" -p no:cacheprovider; \
	else echo "Redis ($(REDIS_TEST_URL)) or PostgreSQL is not answering: skipped the browser tests against the production setup."; fi

# The inner loop: every unit test, and the service suites that cover the schema (migrations,
# constraints), sign-in, editing and the scenario workflow, on SQLite only (ICS_TEST_BACKENDS)
# and without a browser. Of the Curtois & Qu benchmark solves (8 s and two cores each) only
# Instance1 runs. PostgreSQL, the rest and the browser run in `make test`. Timings: docs/benchmarks.md.
FAST_TESTS := tests/unit tests/integration/test_migrations.py \
	tests/integration/test_schema_constraints.py tests/integration/test_auth.py \
	tests/integration/test_editing.py tests/integration/test_scenarios.py
CURTOIS_SOLVE := tests/unit/test_rota_curtois.py::test_solver_objective_agrees_with_independent_evaluation
FAST_SKIPS := --deselect "$(CURTOIS_SOLVE)[Instance2]" --deselect "$(CURTOIS_SOLVE)[Instance3]"
test-fast: $(STAMPS)/test-extras
	ICS_TEST_BACKENDS=sqlite $(BIN)/python -m pytest -q $(FAST_TESTS) $(FAST_SKIPS) $(PYTEST_ARGS)

check: lint test-fast

install: $(STAMPS)/venv $(STAMPS)/bun $(STAMPS)/pdf-libs

install-test: install $(STAMPS)/test-extras $(STAMPS)/chromium $(STAMPS)/poppler

migrate: install
	$(BIN)/ics-capacity db upgrade

seed: migrate
	$(BIN)/ics-capacity seed-demo

# No Chromium needed: the linters come with the test extras. mypy reads [tool.mypy] in
# pyproject.toml (ics_capacity and solvers); its cache in .mypy_cache makes repeat runs quick.
lint: $(STAMPS)/test-extras
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(STAMPS)/test-extras: $(STAMPS)/venv pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

$(STAMPS)/bun:
	@mkdir -p $(STAMPS)
	test -x $(TOOLS)/node_modules/.bin/bun || npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)
	$(TOOLS)/node_modules/.bin/bun --version
	@touch $@

# Playwright's own browser download cannot reach its servers here; Debian's Chromium can be installed.
$(STAMPS)/chromium:
	@mkdir -p $(STAMPS)
	command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium)
	@touch $@

# The board pack's PDF is laid out by WeasyPrint, which needs Debian's Pango, and its text is set
# in Liberation Sans (metrics of Arial, the font the HTML asks for first).
$(STAMPS)/pdf-libs:
	@mkdir -p $(STAMPS)
	(ldconfig -p | grep -q libpangoft2-1.0 && fc-list | grep -q LiberationSans) || \
		($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation)
	@touch $@

# pdftoppm turns the board pack's pages into PNGs, to look at them (tests and reviews).
$(STAMPS)/poppler:
	@mkdir -p $(STAMPS)
	command -v pdftoppm >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq poppler-utils)
	@touch $@

clean:
	rm -rf $(STAMPS) .web .states
