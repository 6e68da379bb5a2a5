# Developer and CI entry points for trialsite.
#   make install  - create .venv and install the project with its dev extra
#   make run      - migrate, load demo data and start the development server (installs
#                   Pango and the fonts for the PDFs if missing)
#   make test     - lint, Django checks and the test suite against throw-away
#                   PostgreSQL and Redis servers (PYTEST_ARGS="..." to pass args)
#   make lint     - ruff check
#   make bench    - flowsheet benchmark: trial-sized data, gunicorn on loopback, 10 clients
#                   (SEED_ARGS="..." for seed_trial, RUN_ARGS="..." for bench/run.py)
#   make bench-queries - the monitor's query worklist: 10,000 queries across 15 sites, 4 clients
#                   (QUERIES=..., QUERY_ARGS="..." for seed_queries, RUN_ARGS as above)
#   make bench-ae-queue - the monitor's review queue: 5,000 adverse events across 15 sites,
#                   4 clients (AES=..., RUN_ARGS as above)
#   make bench-export - the export of 100,000 and 1,000,000 vital-sign rows against a raw COPY
#                   of the same rows (EXPORT_ARGS="--format sdtm" and the like)
#   make bench-scale - the list pages at one trial and at sponsor scale (seed_scale: 100 sites,
#                   10,000 participants, about a million readings, in bulk), 10 clients, side by
#                   side (SEED_ARGS="..." for seed_scale, RUN_ARGS as above)
#   make bench-profile - the benchmark's requests profiled in-process (CPU ms, SQL, middleware,
#                   templates, cProfile; PROFILE_ARGS="--only flowsheet" for one scenario)
#   make clean    - remove the virtualenv and generated files

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.install-stamp
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test lint clean bench bench-queries bench-ae-queue bench-profile bench-export \
	bench-scale

install: $(STAMP)

# Re-runs only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml
	@if ! $(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1; then \
		echo "python venv support missing; installing python3-venv"; \
		if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
		$$sudo apt-get update -qq; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; \
	fi
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Links in the demo's emails (printed to the console) point at this server.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: install
	bash scripts/install-system-deps.sh --pdf
	mkdir -p var
	$(VENV)/bin/python manage.py migrate --noinput
	$(VENV)/bin/python manage.py seed_demo
	$(VENV)/bin/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	bash scripts/install-system-deps.sh
	bash scripts/with-test-services.sh bash scripts/check.sh $(PYTEST_ARGS)

bench: install
	bash scripts/install-system-deps.sh
	BENCH_SEED_ARGS="$(SEED_ARGS)" BENCH_RUN_ARGS="$(RUN_ARGS)" \
		bash scripts/with-test-services.sh bash bench/flowsheet.sh

QUERIES ?= 10000
bench-queries: install
	bash scripts/install-system-deps.sh
	BENCH_QUERIES="$(QUERIES)" BENCH_QUERY_ARGS="$(QUERY_ARGS)" BENCH_SEED_ARGS="$(SEED_ARGS)" \
		BENCH_RUN_ARGS="--clients 4 $(RUN_ARGS)" \
		bash scripts/with-test-services.sh bash bench/flowsheet.sh

AES ?= 5000
bench-ae-queue: install
	bash scripts/install-system-deps.sh
	BENCH_AE_QUEUE="$(AES)" BENCH_SEED_ARGS="$(SEED_ARGS)" BENCH_RUN_ARGS="--clients 4 $(RUN_ARGS)" \
		bash scripts/with-test-services.sh bash bench/flowsheet.sh

bench-profile: install
	bash scripts/install-system-deps.sh
	BENCH_PROFILE=1 BENCH_SEED_ARGS="--sites 2 --participants 6 $(SEED_ARGS)" BENCH_PROFILE_ARGS="$(PROFILE_ARGS)" \
		bash scripts/with-test-services.sh bash bench/flowsheet.sh

bench-export: install
	bash scripts/install-system-deps.sh
	bash scripts/with-test-services.sh $(VENV)/bin/python bench/export.py $(EXPORT_ARGS)

bench-scale: install
	bash scripts/install-system-deps.sh
	BENCH_SCALE=trial BENCH_RUN_ARGS="$(RUN_ARGS)" \
		bash scripts/with-test-services.sh bash bench/flowsheet.sh
	BENCH_SCALE=sponsor BENCH_SEED_ARGS="$(SEED_ARGS)" BENCH_RUN_ARGS="$(RUN_ARGS)" \
		bash scripts/with-test-services.sh bash bench/flowsheet.sh
	$(VENV)/bin/python bench/run.py --compare bench/results/scale-trial.json \
		bench/results/scale-sponsor.json

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache staticfiles
