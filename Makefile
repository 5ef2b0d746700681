# Chorus: `make run` serves the app, `make test` runs every test. Both set up what they need.
#
#   make run        virtualenv + pinned packages + Socket.IO client, then gunicorn on
#                   $(CHORUS_BIND) (127.0.0.1:5000) with the SQLite store in var/
#   make run-nginx  the same behind a private Nginx on a free port (nginx/chorus.conf)
#   make run-cluster  three instances sharing a private Redis, behind Nginx's sticky upstream
#   make test       the above plus test packages (chromium and nginx via apt-get where
#                   missing), then pytest: unit, integration (real gunicorn, real Nginx) and
#                   browser tests
#   make bench      the benchmark suite against Chorus, a naive Flask-SocketIO server and a
#                   Node.js Socket.IO server (bench/; about 50 minutes); BENCH_ARGS=--smoke
#   make messages   extract every translatable string (babel.cfg) and update each locale's
#                   catalogue in app/translations/ (docs/languages.md)
#   make lint       ruff, and the layer rules of app/ (import-linter contracts in pyproject.toml)
#   make lock       recompile requirements*.txt, with hashes, from requirements*.in
#   make audit      pip-audit and npm audit over every pin (needs the network)
#   make clean      remove .venv, node_modules and generated files

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SIO_CLIENT := static/vendor/socket.io.min.js

.PHONY: run run-nginx run-cluster bench install messages test test-deps system-deps lint lock audit \
	clean

run: install
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

run-nginx: install
	scripts/need-packages nginx:nginx
	scripts/run-nginx

run-cluster: install
	scripts/need-packages nginx:nginx redis-server:redis-server
	scripts/run-cluster

# The compiled catalogues the server reads (and serves to page scripts as /i18n/<locale>.json).
TRANSLATIONS := app/translations
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))

install: $(VENV)/.runtime $(SIO_CLIENT) $(MO_FILES)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) 2>/dev/null || { scripts/need-packages python3-venv && \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }

# Every package, transitive ones included, pinned with its hashes: pip refuses any file whose
# hash is not listed (requirements.txt is compiled from requirements.in by `make lock`).
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements.txt
	touch $@

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po \
		| $(VENV)/.runtime
	$(BIN)/pybabel -q compile -i $< -o $@

# Extract, then merge into every catalogue. No source locations and sorted ids, so catalogues
# change only where a message did and merge cleanly. A new locale: `pybabel init -i
# app/translations/messages.pot -d app/translations -l fr`, then translate and `make install`.
messages: $(VENV)/.runtime
	$(BIN)/pybabel -q extract -F babel.cfg -k t -k bad_request --no-location --no-wrap --sort-output \
		--project=Chorus -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete --no-wrap -i $(TRANSLATIONS)/messages.pot \
		-d $(TRANSLATIONS)

# The browser's Socket.IO client, pinned in package-lock.json and served from our own /static.
$(SIO_CLIENT): package.json package-lock.json
	scripts/need-packages npm:npm
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(dir $@)
	cp node_modules/socket.io-client/dist/socket.io.min.js $@

system-deps:
	scripts/need-packages chromium:chromium nginx:nginx redis-server:redis-server \
		redis-sentinel:redis-sentinel promtool:prometheus systemd-analyze:systemd \
		zbarimg:zbar-tools fonts-noto-color-emoji

$(VENV)/.test: requirements-test.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements-test.txt
	touch $@

# The Node.js reference server of the benchmarks (socket.io, pinned in its package-lock.json).
bench/node/node_modules/.installed: bench/node/package.json bench/node/package-lock.json
	cd bench/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test-deps: install system-deps $(VENV)/.test bench/node/node_modules/.installed

bench: test-deps
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The pins. requirements.txt and requirements-test.txt are compiled from their .in files (the
# packages we ask for) with every transitive package and the hashes of each release's files.
# Edit an .in file, then `make lock`; `make audit` asks the advisory databases about every pin
# (it needs the network: PyPI's and npm's advisories).
TOOLS := .venv-tools
COMPILE := $(TOOLS)/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links

$(TOOLS)/.installed:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q pip-tools==7.7.0 pip-audit==2.10.1
	touch $@

lock: $(TOOLS)/.installed
	$(COMPILE) -o requirements.txt requirements.in
	$(COMPILE) -o requirements-test.txt requirements-test.in

audit: $(TOOLS)/.installed
	$(TOOLS)/bin/pip-audit --require-hashes --disable-pip -r requirements.txt
	$(TOOLS)/bin/pip-audit --require-hashes --disable-pip -r requirements-test.txt
	npm audit
	cd bench/node && npm audit

LINTED := app tests bench clients/python examples wsgi.py gunicorn.conf.py chorus_worker.py chorus_logs.py \
	nginx/render.py

test: test-deps lint
	$(BIN)/python -m pytest

lint: $(VENV)/.test
	$(BIN)/ruff check $(LINTED)
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) $(TOOLS) node_modules static/vendor .pytest_cache $(MO_FILES)
