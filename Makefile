# Mentori: `make run` starts a ready-to-use server; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: setup run serve test lint format schema bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/mentori migrate
	$(BIN)/mentori seed --if-empty
	$(BIN)/mentori serve --welcome

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: setup
	$(BIN)/mentori schema > schema/schema.graphql

BENCH_STAMP := $(VENV)/.bench-installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	@rm -f $(VENV)/.bench-installed-*
	@touch $(BENCH_STAMP)

# PostGraphile, the search's second peer (bench/postgraphile/): without npm the bench skips it.
BENCH_NPM := bench/postgraphile/node_modules/.installed

$(BENCH_NPM): bench/postgraphile/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix bench/postgraphile --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the search runs without PostGraphile"; fi

bench: setup $(BENCH_STAMP) $(BENCH_NPM)
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) var build *.egg-info
