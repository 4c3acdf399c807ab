# Two commands on a fresh Debian/Ubuntu machine:
#   make run   set up, load the demo city into the embedded SpatiaLite database, serve it
#   make test  set up, then run the whole test suite (SpatiaLite, PostGIS, headless Chromium)
# 3.12 when installed, else python3 (3.11+): see scripts/find-python.
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
# The virtualenv is rebuilt when requirements.txt changes or another Python is chosen.
INSTALLED := $(BIN)/.installed-$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint translations system-run system-test vendor clean

run: system-run $(INSTALLED) vendor
	$(BIN)/flask --app transitreq seed-demo
	$(BIN)/flask --app transitreq run --host $(HOST) --port $(PORT)

test: system-test $(INSTALLED) vendor
	scripts/ensure-postgres
	$(BIN)/ruff check .
	# Two workers per core, each test file whole on one worker (its browser, its fixtures): the
	# tests wait on PostgreSQL, Chromium and sockets, so one per core left a third of the CPU idle.
	$(BIN)/python -m pytest -n $$(( $$(nproc) * 2 )) --dist loadfile

# After changing a string marked for translation: re-extract, update and compile the catalogues.
translations: $(INSTALLED)
	scripts/translations

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

system-run:
	PYTHON=$(PYTHON) scripts/system-deps run

system-test:
	PYTHON=$(PYTHON) scripts/system-deps test

$(INSTALLED): requirements.txt
	@test ! -L $(VENV) || { echo "$(VENV) links to another tree's environment: run make there" >&2; exit 1; }
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info < (3, 11))" \
		|| { echo "transitreq needs Python 3.11 or newer as $(PYTHON)" >&2; exit 1; }
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

vendor: package-lock.json
	scripts/vendor-assets

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
