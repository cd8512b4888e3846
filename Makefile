# Two commands do all setup on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CUSTOMERS ?= 1000
SEED ?= 42

.PHONY: install demo test test-python test-dbt lint clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/cdp demo --customers $(CUSTOMERS) --seed $(SEED)

# Every test: Python unit and end-to-end tests (the e2e test runs `dbt build` with all its data tests and
# unit tests on generated data), then sqlfluff on every model and macro.
test: $(STAMP) lint test-python

test-python: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	mkdir -p data
	$(BIN)/sqlfluff lint models --processes 2
	$(BIN)/ruff check cdp ingestion tests benchmarks

clean:
	rm -rf $(VENV) target logs data
