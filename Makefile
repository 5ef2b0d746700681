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
#   make lint       ruff, and the layer rules of app/ (import-linter contracts in pyproject.toml)
#   make clean      remove .venv, node_modules and generated files

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SIO_CLIENT := static/vendor/socket.io.min.js

.PHONY: run run-nginx run-cluster bench install test test-deps system-deps lint clean

run: install
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

run-nginx: install
	scripts/need-packages nginx:nginx
	scripts/run-nginx

run-cluster: install
	scripts/need-packages nginx:nginx redis-server:redis-server
	scripts/run-cluster

install: $(VENV)/.runtime $(SIO_CLIENT)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) 2>/dev/null || { scripts/need-packages python3-venv && \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

# The browser's Socket.IO client, pinned in package-lock.json and served from our own /static.
$(SIO_CLIENT): package.json package-lock.json
	scripts/need-packages npm:npm
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(dir $@)
	cp node_modules/socket.io-client/dist/socket.io.min.js $@

system-deps:
	scripts/need-packages chromium:chromium nginx:nginx redis-server:redis-server \
		zbarimg:zbar-tools fonts-noto-color-emoji

$(VENV)/.test: requirements-test.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

# The Node.js reference server of the benchmarks (socket.io, pinned in its package-lock.json).
bench/node/node_modules/.installed: bench/node/package.json bench/node/package-lock.json
	cd bench/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test-deps: install system-deps $(VENV)/.test bench/node/node_modules/.installed

bench: test-deps
	$(BIN)/python bench/run.py $(BENCH_ARGS)

LINTED := app tests bench wsgi.py gunicorn.conf.py chorus_worker.py nginx/render.py

test: test-deps lint
	$(BIN)/python -m pytest

lint: $(VENV)/.test
	$(BIN)/ruff check $(LINTED)
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
