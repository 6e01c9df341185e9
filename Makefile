# wpfleet: the two commands in the README, and the ones developers use.
SHELL := /bin/bash
VENV ?= .venv
WPFLEET := $(VENV)/bin/wpfleet
DEMO_FLEET ?= examples/local/fleet.yaml
PYTEST_ARGS ?=

.PHONY: demo test lint lint-only bench deps test-deps demo-down clean

deps:
	@scripts/install-deps.sh runtime

test-deps:
	@scripts/install-deps.sh test

## demo: install what is missing, start the local platform, deploy the demo fleet
demo: deps
	@$(WPFLEET) --fleet $(DEMO_FLEET) validate >/dev/null
	@$(WPFLEET) --fleet $(DEMO_FLEET) platform up
	@$(WPFLEET) --fleet $(DEMO_FLEET) deploy --all --env dev
	@$(WPFLEET) --fleet $(DEMO_FLEET) deploy --all --env sit
	@$(WPFLEET) --fleet $(DEMO_FLEET) status
	@scripts/demo-howto.sh $(WPFLEET) $(DEMO_FLEET)

## demo-down: stop the demo platform (data is kept)
demo-down:
	@$(WPFLEET) --fleet $(DEMO_FLEET) platform down

## test: install the test dependencies and run the whole suite
test: test-deps
	@$(MAKE) --no-print-directory lint-only
	@$(VENV)/bin/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## lint: ruff (lint + format) and mypy; `make test` runs it too
lint: test-deps lint-only

lint-only:
	$(VENV)/bin/python -m ruff check src tests benchmarks
	$(VENV)/bin/python -m ruff format --check src tests benchmarks
	$(VENV)/bin/python -m mypy
	$(VENV)/bin/lint-imports

bench: test-deps
	$(VENV)/bin/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
