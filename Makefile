# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SERVICES := procurement inventory supplier_portal
PYTEST_WORKERS ?= 2

.PHONY: install install-prod run run-prod load reconcile test test-e2e migrate seed bench fuzz clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	@# Browser tests use the system's Chromium where there is one, else Playwright's own build.
	command -v chromium >/dev/null || command -v chromium-browser >/dev/null || $(BIN)/playwright install chromium
	touch $(STAMP)

install: $(STAMP)

install-prod: install
	$(BIN)/pip install --quiet -c constraints.txt -e '.[prod]'

migrate: install
	@for service in $(SERVICES); do $(BIN)/flask --app services.$$service db-upgrade || exit 1; done

seed: migrate
	$(BIN)/flask --app services.procurement seed-demo
	$(BIN)/flask --app services.inventory seed-demo

# Three services on gunicorn, a worker on every queue and beat: SQLite files and the embedded broker under var/.
run: seed
	@echo "procurement      http://127.0.0.1:5001/api/docs"
	@echo "inventory        http://127.0.0.1:5002/api/docs"
	@echo "supplier portal  http://127.0.0.1:5003/api/docs"
	@echo "demo staff logins (password demo-password): buyer, manager1, keeper, store, approver, finance, admin, supervisor"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -d $(CURDIR) -f deploy/Procfile start

# The same processes in production configuration against PostgreSQL and RabbitMQ on 127.0.0.1, plus
# a worker per queue and Flower (deploy/run_prod.py); a SECRET_KEY is generated unless one is exported.
run-prod: install-prod
	$(BIN)/python -m deploy.run_prod

# A bounded load test on a throw-away run-prod deployment, then the reconciliation check (bench/mix.py).
load: install-prod
	$(BIN)/python -m bench.mix

# The services' books agree (events, stock ledger, orders) for the databases named in the environment.
reconcile: install
	$(BIN)/python -m deploy.reconcile --wait 30

# Lint; API and unit tests in parallel; then the end-to-end tests (real workers, real servers, a real
# browser), which share one broker and run one at a time.
test: install
	$(BIN)/ruff check shared services tests bench
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e"
	$(BIN)/pytest -m e2e

# Schemathesis against each service's OpenAPI document as every kind of caller: FUZZ_EXAMPLES cases per
# caller (9 to 11 callers a service); `make test` runs the same test with 100.
FUZZ_EXAMPLES ?= 300
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/contract/test_openapi_fuzz.py -n $(PYTEST_WORKERS) -q

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
