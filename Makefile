# Two commands do all setup on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CUSTOMERS ?= 1000
SEED ?= 42

.PHONY: install install-spark demo test test-python test-spark lint clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

SPARK_STAMP := $(VENV)/.installed-spark
$(SPARK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	touch $(SPARK_STAMP)

install-spark: $(SPARK_STAMP)

demo: $(STAMP)
	$(BIN)/cdp demo --customers $(CUSTOMERS) --seed $(SEED)

# Every test: Python unit and end-to-end tests (the e2e test runs `dbt build` with all its data tests and
# unit tests on generated data), then sqlfluff on every model and macro.
test: $(STAMP) lint test-python

test-python: $(STAMP)
	$(BIN)/pytest -q

# The same dbt project on Spark (local session, Java 17): build on both engines and compare the marts.
test-spark: $(SPARK_STAMP)
	$(BIN)/pytest -q -m spark tests/spark

lint: $(STAMP)
	mkdir -p data
	$(BIN)/sqlfluff lint models --processes 2
	$(BIN)/ruff check cdp ingestion tests benchmarks activation realtime serving

clean:
	rm -rf $(VENV) target logs data
