# mxpublish — every target sets up .venv on first use (and again when pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROJECT ?= .
MX     := $(BIN)/mxpublish

.PHONY: all pdf epub html check test test-fast lint a11y a11y-tools bench clean distclean venv \
        system-deps
.PHONY: dist lock

all: $(STAMP)
	$(MX) build $(PROJECT) --format all

pdf: $(STAMP)
	$(MX) build $(PROJECT) --format pdf

epub: $(STAMP)
	$(MX) build $(PROJECT) --format epub

html: $(STAMP)
	$(MX) build $(PROJECT) --format html

check: $(STAMP)
	$(MX) check $(PROJECT)

# the release bundle: dist/<slug>-<version>/ and its zip (README: "Distribution")
dist: $(STAMP)
	$(MX) dist $(PROJECT) --release

venv: $(STAMP)

# Exact versions from requirements.lock (`make lock` refreshes it), so that every machine
# renders the same bytes.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $(STAMP)

# Re-resolve the newest versions pyproject.toml allows and pin them in requirements.lock.
lock:
	rm -rf $(VENV)-lock && $(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet --disable-pip-version-check '.[test,sign]'
	{ echo "# Exact versions for every machine (make lock); the Makefile installs with -c."; \
	  $(VENV)-lock/bin/python -m pip freeze --disable-pip-version-check --exclude mxpublish; \
	} > requirements.lock
	rm -rf $(VENV)-lock

# chromium for the browser test of `mxpublish serve` (installed with apt-get when root)
system-deps:
	sh tools/ensure-system-deps.sh

test: $(STAMP) system-deps a11y-tools
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/lint-imports

a11y-tools:
	bash tools/a11y/setup.sh

a11y: $(STAMP) a11y-tools
	@epub=$$($(MX) build $(PROJECT) --format epub | tail -n 1) && rm -rf build/ace && \
	  tools/a11y/ace.sh "$$epub" build/ace && $(BIN)/python tools/a11y/report.py build/ace/report.json

# minutes for one complete run on a 2-core machine (bench.py --budget picks runs and sizes)
BENCH_BUDGET ?= 20
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test,bench]'
	$(BIN)/python benchmarks/bench.py --budget $(BENCH_BUDGET)

clean:
	rm -rf build .pytest_cache .ruff_cache .mypy_cache

distclean: clean
	rm -rf $(VENV)
