# drawledger — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench soak clean

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
