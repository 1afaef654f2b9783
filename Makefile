# Spojka: `make run` starts the platform on the embedded default, `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit install lock bench clean frontend frontend-check api-client e2e

# The dashboard (frontend/): npm ci once per lock change, a build whenever its sources change.
NPM         ?= npm
FRONT       := frontend
FRONT_STAMP := $(FRONT)/node_modules/.installed
FRONT_BUILD := $(FRONT)/dist/index.html
FRONT_SRC   := $(shell find $(FRONT)/src $(FRONT)/public -type f 2>/dev/null) \
               $(FRONT)/index.html $(FRONT)/vite.config.ts $(FRONT)/tsconfig.json

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) $(FRONT_STAMP)

$(FRONT_STAMP): $(FRONT)/package.json $(FRONT)/package-lock.json
	cd $(FRONT) && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

$(FRONT_BUILD): $(FRONT_STAMP) $(FRONT_SRC)
	cd $(FRONT) && $(NPM) run --silent build

frontend: $(FRONT_BUILD)

# Regenerate the dashboard's TypeScript client from the API's OpenAPI document.
api-client: $(STAMP) $(FRONT_STAMP)
	cd $(FRONT) && $(NPM) run --silent api:generate

# The dashboard's checks: the client matches the API (drift), lint, strict types, component tests.
frontend-check: $(STAMP) $(FRONT_STAMP)
	cd $(FRONT) && $(NPM) run --silent api:check
	cd $(FRONT) && $(NPM) run --silent lint
	cd $(FRONT) && $(NPM) run --silent typecheck
	cd $(FRONT) && $(NPM) run --silent test

# End to end in Chromium (/usr/bin/chromium; `apt-get install chromium`): a real `spojka run`
# and real simulators; screenshots land in frontend/test-results/screenshots/.
e2e: $(STAMP) $(FRONT_BUILD)
	cd $(FRONT) && $(NPM) run --silent e2e

run: $(STAMP) $(FRONT_BUILD)
	$(BIN)/spojka demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck frontend-check $(FRONT_BUILD)
	$(BIN)/pytest
	$(MAKE) --no-print-directory e2e

# Every benchmark, one after another, then all their figures together (one JSON object a line).
bench: $(STAMP)
	@bash -o pipefail -c 'figures=$$(mktemp); trap "rm -f $$figures" EXIT; \
	  for b in bench/bench_*.py; do $(BIN)/python $$b | tee -a $$figures || exit 1; done; \
	  echo; echo "All figures:"; grep "^{" $$figures'

# Re-pin every dependency (run after changing pyproject.toml's dependencies).
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache $(FRONT)/node_modules $(FRONT)/dist
