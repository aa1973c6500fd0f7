# Two commands do all the set-up on a machine that has Python 3.11+:
#   make run   - install, then the all-in-one demo against the DigitalOcean sandbox on :8000
#   make test  - install, then the whole test suite (real PostgreSQL and RabbitMQ; see README)
PYTHON ?= python3
# uv from PATH, else a private copy in .tools/ (a virtual environment, so it works where
# `pip install --user` is refused: Debian 12, Ubuntu, Homebrew Pythons are "externally managed")
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)

.PHONY: setup run test lint bench clean

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

setup: $(UV)
	$(UV) sync --locked --quiet

run: setup
	$(UV) run arcadia up

test: setup
	$(UV) run pytest

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy libs/arcadia_core/arcadia_core libs/do_api/do_api sandbox/do_sandbox services/inventory/inventory services/gateway/gateway services/billing-ingest/billing_ingest services/metering/metering services/invoicing/invoicing services/drift/drift arcadia bench

bench: setup
	$(UV) run python -m bench

clean:
	rm -rf .arcadia .tools .pytest_cache .mypy_cache .ruff_cache
