# Ticksupply SDK: one Rust core, bindings, and a local server of the API.
#   make demo   build, start ticksupply-mock, run the quick start against it
#   make test   every test suite (Rust, official-client fidelity checks)
#   make bench  benchmarks (never part of make test)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
MOCK := target/release/ticksupply-mock
OFFICIAL_VENV := .venv-official
SCHEMA_VENV := .venv-schemathesis
VENV := .venv

.PHONY: bench all demo dist test-dist test-readme test test-rust test-python test-node test-examples python-dev node-dev lint official-clients official-rust official-python schemathesis mock clean

all: test

$(MOCK): $(shell find mock/src -name '*.rs') mock/Cargo.toml Cargo.toml
	cargo build --release -p ticksupply-mock

mock: $(MOCK)

demo: $(MOCK) python-dev node-dev examples/javascript/node_modules/.ok
	cargo build --quiet --example quickstart -p ticksupply --features arrow
	@echo "== Rust"
	scripts/with-mock --export-delay-ms 500 -- target/debug/examples/quickstart
	@echo "== Python"
	scripts/with-mock --export-delay-ms 500 -- $(VENV)/bin/python examples/python/quickstart.py
	@echo "== JavaScript"
	scripts/with-mock --export-delay-ms 500 -- node examples/javascript/quickstart.mjs
	@echo "== curl"
	scripts/with-mock --export-delay-ms 500 -- bash examples/curl/quickstart.sh

test: lint test-rust test-python test-node test-examples test-readme test-dist official-clients schemathesis
	@echo "make test: all suites passed"

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings

test-rust:
	cargo test --workspace

$(VENV)/.ok:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'maturin>=1.9.4,<2' 'pytest>=8' 'pytest-asyncio>=0.23' 'ruff>=0.6' 'tqdm>=4' \
	  'pyarrow>=17' 'polars>=1.3' 'pandas>=2.2' 'duckdb>=1.1' 'mypy==2.4.1' 'pyright==1.1.414'
	touch $@

# The wheel built into the project venv (editable), its lint, its static types (mypy --strict and
# pyright over the package, a typed file exercising every resource, and the examples) and its
# pytest suite, which also walks the official 0.2.0 package's public names.
python-dev: $(VENV)/.ok
	cd bindings-python && ../$(VENV)/bin/maturin develop --quiet

test-python: $(MOCK) python-dev $(OFFICIAL_VENV)/.ok
	$(VENV)/bin/ruff check bindings-python tests bench examples
	$(VENV)/bin/ruff format --check bindings-python tests/official-clients bench examples
	cd bindings-python && ../$(VENV)/bin/mypy && ../$(VENV)/bin/pyright
	cd bindings-python && TICKSUPPLY_OFFICIAL_PYTHON=$(CURDIR)/$(OFFICIAL_VENV)/bin/python ../$(VENV)/bin/python -m pytest -q

# The npm package: dependencies from its lockfile, the addon (debug) and its generated loader,
# which must match what is committed, then the node:test suites and the type check.
bindings-node/node_modules/.ok: bindings-node/package-lock.json
	cd bindings-node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-dev: bindings-node/node_modules/.ok
	cd bindings-node && npx napi build --platform --js native.js --dts native.d.ts >/dev/null
	git diff --exit-code -- bindings-node/native.js bindings-node/native.d.ts

test-node: $(MOCK) node-dev
	cd bindings-node && TICKSUPPLY_MOCK_BIN=../$(MOCK) npm test --silent

examples/javascript/node_modules/.ok: examples/javascript/package-lock.json
	cd examples/javascript && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The quick starts run against the mock, so they cannot rot, and print the same lines in
# every language.
test-examples: $(MOCK) python-dev node-dev examples/javascript/node_modules/.ok
	bindings-node/node_modules/.bin/tsc -p examples/javascript
	cargo build --quiet --example quickstart --example tour -p ticksupply --features arrow
	scripts/same-output --export-delay-ms 200 -- target/debug/examples/quickstart \
	  -- $(VENV)/bin/python examples/python/quickstart.py -- node examples/javascript/quickstart.mjs \
	  -- bash examples/curl/quickstart.sh
	scripts/same-output --rate-limit-minute 60 -- target/debug/examples/tour \
	  -- $(VENV)/bin/python examples/python/tour.py -- node examples/javascript/tour.mjs \
	  -- bash examples/curl/tour.sh
	@echo "examples: quick start and tour print the same lines in Rust, Python, JavaScript and curl"

# What users install: the wheel, the npm tarball (with this platform's addon) and the crate.
# DIST_RELEASE= (empty) builds them unoptimised, as the install test does to save minutes.
DIST_RELEASE ?= --release
dist: $(VENV)/.ok bindings-node/node_modules/.ok
	rm -rf dist && mkdir -p dist
	cd bindings-python && ../$(VENV)/bin/maturin build $(DIST_RELEASE) --quiet --out ../dist
	cd bindings-node && npx napi build --platform $(DIST_RELEASE) --js native.js --dts native.d.ts >/dev/null \
	  && npm pack --silent --pack-destination ../dist >/dev/null
	cargo package --quiet -p ticksupply --no-verify --allow-dirty
	cp target/package/ticksupply-*.crate dist/
	@ls -1 dist

# The wheel and the tarball installed outside the repository, and both source installs.
test-dist: $(MOCK)
	$(MAKE) --no-print-directory dist DIST_RELEASE=
	PYTHON=$(PYTHON) tests/dist/install-test.sh

test-readme: $(MOCK) python-dev node-dev examples/javascript/node_modules/.ok
	$(PYTHON) tests/readme/check.py

official-clients: official-rust official-python

official-rust: $(MOCK)
	tests/official-clients/rust-examples.sh

$(OFFICIAL_VENV)/.ok:
	$(PYTHON) -m venv $(OFFICIAL_VENV)
	$(OFFICIAL_VENV)/bin/pip install --quiet --disable-pip-version-check 'ticksupply==0.2.0'
	touch $@

official-python: $(MOCK) $(OFFICIAL_VENV)/.ok
	scripts/with-mock --export-delay-ms 300 -- $(OFFICIAL_VENV)/bin/python tests/official-clients/python_flows.py

$(SCHEMA_VENV)/.ok:
	$(PYTHON) -m venv $(SCHEMA_VENV)
	$(SCHEMA_VENV)/bin/pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
	touch $@

# Every response of the mock checked against the project's spec/openapi.yaml.
schemathesis: $(MOCK) $(SCHEMA_VENV)/.ok
	scripts/with-mock --rate-limit-minute 1000000 --rate-limit-hour 1000000 --export-delay-ms 0 -- \
	  tests/openapi/schemathesis.sh $(SCHEMA_VENV)/bin/schemathesis

clean:
	cargo clean
	rm -rf $(VENV) $(OFFICIAL_VENV) $(SCHEMA_VENV) bindings-node/node_modules bindings-node/*.node examples/javascript/node_modules

# Benchmarks (never part of make test): see bench/run.py and BENCHMARKS.md.
bench: $(MOCK)
	-command -v wrk >/dev/null || (apt-get install -y -qq wrk >/dev/null 2>&1 || true)
	cargo build --release --quiet --manifest-path bench/rust/Cargo.toml
	test -x .bench/venv-official/bin/python || ($(PYTHON) -m venv .bench/venv-official && \
	  .bench/venv-official/bin/pip install --quiet --disable-pip-version-check 'ticksupply==0.2.0')
	test -x .bench/venv-ours/bin/python || $(PYTHON) -m venv .bench/venv-ours
	.bench/venv-ours/bin/pip install --quiet --disable-pip-version-check 'maturin>=1.9.4,<2' \
	  'pyarrow>=17' 'polars>=1.3' 'pandas>=2.2' 'duckdb>=1.1'
	rm -rf .bench/wheels && cd bindings-python && ../.bench/venv-ours/bin/maturin build --release --quiet --out ../.bench/wheels
	.bench/venv-ours/bin/pip install --quiet --disable-pip-version-check --force-reinstall .bench/wheels/*.whl
	$(MAKE) --no-print-directory bindings-node/node_modules/.ok
	cd bindings-node && npm run build --silent >/dev/null
	$(PYTHON) bench/run.py
