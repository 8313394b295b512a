# The two set-up commands: `make serve` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PACKAGES := schemas mock_server plugin contract_tests

.PHONY: serve test lint typecheck system-deps unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP) $@

## Start the mock server on its embedded defaults.
serve: $(STAMP)
	$(BIN)/rivya-mock serve

## Lint, type-check and run every test.
test: lint typecheck unit

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy cannot follow the editable-install import hook, so it reads the
# rivya_contract namespace through a symlinked view of the source folders.
typecheck: $(TEST_STAMP)
	@mkdir -p .typecheck/rivya_contract
	@for d in $(PACKAGES); do ln -sfn ../../$$d .typecheck/rivya_contract/$$d; done
	MYPYPATH=.typecheck $(BIN)/mypy -p rivya_contract
	MYPYPATH=.typecheck $(BIN)/mypy tests $(wildcard bench/*.py docs/example/*.py)
	MYPYPATH=.typecheck $(BIN)/mypy $(wildcard docs/example/webhooks/*.py)

# Commands the tests run, each as command:Debian package. Tests that need a
# missing command fail and name it, so `unit` first installs what it can.
# chromium is the browser Playwright drives in the dashboard tests (it never downloads one).
SYSTEM_DEPS := ffprobe:ffmpeg ffmpeg:ffmpeg chromium:chromium redis-server:redis-server

## Install the Debian packages of missing SYSTEM_DEPS commands (as root; otherwise name them).
system-deps:
	@missing=; \
	for pair in $(SYSTEM_DEPS); do \
		command -v "$${pair%%:*}" >/dev/null 2>&1 && continue; \
		case " $$missing " in *" $${pair#*:} "*) ;; *) missing="$$missing $${pair#*:}";; esac; \
	done; \
	if [ -z "$$missing" ]; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "apt-get install$$missing"; \
		apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	else \
		echo "missing test commands: install the Debian packages$$missing" \
			"(tests that need them fail)" >&2; \
	fi

unit: $(TEST_STAMP) system-deps
	$(BIN)/pytest -n auto

BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet -e '.[bench]'
	touch $@

## Run the quick benchmarks (about a minute) and print one table.
bench: $(BENCH_STAMP) system-deps
	$(BENCH_VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) $(BENCH_VENV) .typecheck build *.egg-info .mypy_cache .ruff_cache
