# Two commands on a fresh Debian/Ubuntu machine:
#   make run   set up, load the demo city into the embedded SpatiaLite database, serve it
#   make test  set up, then run the whole test suite (SpatiaLite, PostGIS, headless Chromium)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint system-run system-test vendor clean

run: system-run $(BIN)/.installed vendor
	$(BIN)/flask --app transitreq seed-demo
	$(BIN)/flask --app transitreq run --host $(HOST) --port $(PORT)

test: system-test $(BIN)/.installed vendor
	scripts/ensure-postgres
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

system-run:
	PYTHON=$(PYTHON) scripts/system-deps run

system-test:
	PYTHON=$(PYTHON) scripts/system-deps test

# The virtualenv is rebuilt only when requirements.txt changes.
$(BIN)/.installed: requirements.txt
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info < (3, 11))" \
		|| { echo "transitreq needs Python 3.11 or newer as $(PYTHON)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

vendor: package-lock.json
	scripts/vendor-assets

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
