# Cổng Một Cửa — the two documented entry points are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_DB ?= cong_mot_cua
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/$(PG_DB)
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
BENCH ?=

.PHONY: run test test-fast bench lint install services browser system-libs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes: a second `make run` reuses everything.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) system-libs

# System libraries beyond the wheels (HarfBuzz font subsetting for the PDFs), apt if missing.
system-libs:
	@bash .ci/system-libs

# Collect (and compress) static files only when they changed: the second `make run` is quick.
STATIC_SOURCES := $(shell find static templates -type f 2>/dev/null)
var/static/staticfiles.json: $(STAMP) $(STATIC_SOURCES) | var/secret_key
	SECRET_KEY_FILE=var/secret_key $(BIN)/python manage.py collectstatic --noinput -v 0

var/secret_key:
	@mkdir -p var
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key

# The demo: SQLite and a file-based Celery broker under var/, unless DATABASE_URL/REDIS_URL are set.
run: install var/secret_key var/static/staticfiles.json
	@export SECRET_KEY_FILE=var/secret_key HTTPS=$${HTTPS:-0} PORTAL_DEMO=$${PORTAL_DEMO:-1}; \
	  $(BIN)/python manage.py migrate --noinput -v 0 && \
	  $(BIN)/python manage.py seed_demo && \
	  echo "" && echo "Cổng Một Cửa: http://127.0.0.1:8000  (Ctrl-C dừng web, worker và beat)" && echo "" && \
	  exec $(BIN)/honcho start -f Procfile

# Makes sure PostgreSQL and Redis answer on 127.0.0.1 (starts them if installed but stopped).
services:
	@bash .ci/services

# Debian's chromium for the Playwright end-to-end tests (installed with apt if missing).
browser:
	@bash .ci/browser

test: install services browser
	$(BIN)/ruff check .
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/python -m pytest -n auto --dist loadfile -q

# Optional quick run on SQLite; never the CI run.
test-fast: install
	TEST_SQLITE=1 $(BIN)/python -m pytest -q -x

lint: install
	$(BIN)/ruff check .

bench: install services
	$(BIN)/python bench/run.py $(BENCH)

clean:
	rm -rf var/cache var/broker var/static
