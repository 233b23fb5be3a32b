# mxpublish — every target sets up .venv on first use (and again when pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROJECT ?= .
MX     := $(BIN)/mxpublish

.PHONY: all pdf epub html check test test-fast lint bench clean distclean venv system-deps

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

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf build .pytest_cache .ruff_cache .mypy_cache

distclean: clean
	rm -rf $(VENV)
