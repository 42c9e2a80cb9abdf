# drawledger — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-future lint bench soak clean

$(BIN)/drawledger: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@

install: $(BIN)/drawledger

run: install
	@test -f $(DATA)/drawledger.toml || $(BIN)/drawledger demo --data $(DATA) --host $(HOST) --port $(PORT)
	$(BIN)/drawledger serve --data $(DATA) --host $(HOST) --port $(PORT)

# Two or more worker processes (pytest-xdist, one per core; each a PostgreSQL database of its own).
# One file or test alone: $(BIN)/pytest -q tests/…
test: install
	$(BIN)/pytest -q -n auto

# The date-sensitive tests with the clock after the working-day calendar's end (docs/POLICY.md,
# "Testing after the calendar ends"): libfaketime's `faketime` (apt-get install faketime) fakes
# the wall clock of every process of the run; the monotonic clock stays real, and
# tests/faketime/sitecustomize.py says why. tests/test_future_clock.py fails if the date did not
# reach the run. Another date: make test-future FUTURE='2028-02-01 10:00:00'.
FUTURE ?= 2027-01-04 10:00:00
FUTURE_TESTS ?= tests/test_future_clock.py tests/ledger/test_policy.py \
  tests/api/test_policy_routes.py tests/projections/test_publications.py \
  tests/ledger/test_demo.py tests/ledger/test_demo_results.py tests/api/test_inspection_routes.py
test-future: install
	@command -v faketime >/dev/null || { echo "make test-future needs libfaketime's faketime (apt-get install faketime)" >&2; exit 1; }
	FAKETIME_DONT_FAKE_MONOTONIC=1 PYTHONPATH=tests/faketime DRAWLEDGER_TEST_FUTURE='$(FUTURE)' \
	  faketime '$(FUTURE)' $(BIN)/pytest -q -p no:cacheprovider -n 2 $(FUTURE_TESTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

# The kill -9 and store-fault tests of several workers on PostgreSQL, SOAK_ROUNDS times over
# (each round kills workers 3 times and sealers 6 times): a soak too long for the suite.
SOAK_ROUNDS ?= 10
soak: install
	for round in $$(seq $(SOAK_ROUNDS)); do \
	  echo "soak round $$round of $(SOAK_ROUNDS)"; \
	  $(BIN)/pytest -q -p no:cacheprovider tests/api/test_workers.py \
	    tests/api/test_sealer_takeover.py tests/api/test_workers_faults.py || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
