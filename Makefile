# Two commands do all setup on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CUSTOMERS ?= 1000
SEED ?= 42

.PHONY: install install-spark tracker demo test test-python test-spark lint clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) tracker

# The browser tracker: Segment's analytics-next UMD build from the npm registry, pinned, unpacked into an
# ignored folder that the collector serves (/tracker/cdp.js and its lazily loaded chunks).
TRACKER_VERSION ?= 1.84.3
TRACKER_DIR := realtime/tracker/vendor
TRACKER_STAMP := $(TRACKER_DIR)/.installed-$(TRACKER_VERSION)
$(TRACKER_STAMP):
	rm -rf $(TRACKER_DIR) && mkdir -p $(TRACKER_DIR)
	cd $(TRACKER_DIR) && npm pack --silent @segment/analytics-next@$(TRACKER_VERSION) >/dev/null \
		&& tar xzf segment-analytics-next-$(TRACKER_VERSION).tgz package/dist/umd package/package.json package/LICENSE.MD \
		&& rm segment-analytics-next-$(TRACKER_VERSION).tgz
	touch $@

tracker: $(TRACKER_STAMP)

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

test-python: $(STAMP) tracker
	$(BIN)/pytest -q

# The same dbt project on Spark (local session, Java 17): build on both engines and compare the marts.
test-spark: $(SPARK_STAMP)
	$(BIN)/pytest -q -m spark tests/spark

lint: $(STAMP)
	mkdir -p data
	$(BIN)/sqlfluff lint models --processes 2
	$(BIN)/ruff check cdp ingestion tests benchmarks activation realtime serving automation console

clean:
	rm -rf $(VENV) target logs data
