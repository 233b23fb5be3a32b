# mxpublish — every target sets up .venv on first use (and again when pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROJECT ?= .
MX     := $(BIN)/mxpublish

.PHONY: all pdf epub html check test test-fast lint a11y a11y-tools bench clean distclean venv \
        system-deps

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

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

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

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf build .pytest_cache .ruff_cache .mypy_cache

distclean: clean
	rm -rf $(VENV)
