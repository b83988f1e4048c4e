# Two commands: `make run` (shop with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := shop
export PYTHONDONTWRITEBYTECODE := 1

# Production: gunicorn with WEB_CONCURRENCY threaded workers; the environment holds the settings (docs/DEPLOY.md).
WEB_CONCURRENCY ?= 4
WEB_THREADS ?= 4
BIND ?= 127.0.0.1:8000

.PHONY: serve-prod run test setup translations db demo test-sqlite test-postgres bench bench-ledger clean

$(BIN)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

setup: $(BIN)/.installed translations

translations: $(BIN)/.installed
	$(BIN)/pybabel compile -d shop/translations

db: setup
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask seed-demo

run: demo
	@echo "Serving the shop at http://127.0.0.1:$(PORT)  (Ctrl-C stops it)"
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# With TEST_DATABASE_URL the SQLite and PostgreSQL suites run side by side (one per core); each prints
# its output when it ends.
test: setup
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory -j2 -Otarget test-sqlite test-postgres; \
	elif [ "$$CI" = "true" ]; then echo "CI needs TEST_DATABASE_URL for the PostgreSQL suite" >&2; exit 1; \
	else $(MAKE) --no-print-directory test-sqlite; \
	echo "TEST_DATABASE_URL is not set: the PostgreSQL suite was not run."; fi

TEST_TMP := $(or $(TMPDIR),/tmp)/longnan-shop-tests

test-sqlite: setup
	mkdir -p $(TEST_TMP)
	env -u TEST_DATABASE_URL SHOP_SUITE=sqlite $(BIN)/python -m pytest -q --basetemp=$(TEST_TMP)/sqlite $(PYTEST_ARGS)

test-postgres: setup
	mkdir -p $(TEST_TMP)
	SHOP_SUITE=postgres $(BIN)/python -m pytest -q --basetemp=$(TEST_TMP)/postgres $(PYTEST_ARGS)

serve-prod: setup
	SHOP_CONFIG=production $(BIN)/flask db upgrade
	SHOP_CONFIG=production $(BIN)/gunicorn --workers $(WEB_CONCURRENCY) --worker-class gthread \
	  --threads $(WEB_THREADS) --bind $(BIND) --graceful-timeout 20 'shop:create_app()'

bench: setup
	$(BIN)/python bench/catalog_queries.py

# The ledger at 1,000,000 order lines on PostgreSQL (BENCH_DATABASE_URL; BENCH_ARGS="--lines 100000" for a
# quick run). See docs/PERFORMANCE.md.
bench-ledger: setup
	$(BIN)/python bench/ledger_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance
