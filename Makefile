# Every target installs the project into .venv first when it is missing or older than pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench schemas docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/saattaja demo

# Prometheus and its promtool check the alerting rules in deploy/prometheus: promtool
# unit-tests them, and a Prometheus scraping a running router raises them. Both are taken
# from Debian's prometheus package, unpacked rather than installed (no service is set up);
# where that cannot be done, the tests that need them skip, except in CI, where they fail.
PROMETHEUS_TOOLS := $(BIN)/prometheus $(BIN)/promtool

$(PROMETHEUS_TOOLS) &: | $(STAMP)
	@unpack=$$(mktemp -d) && \
	if (cd $$unpack && apt-get download prometheus >/dev/null 2>&1 && \
	    dpkg -x prometheus_*.deb unpacked); then \
		cp $$unpack/unpacked/usr/bin/prometheus $$unpack/unpacked/usr/bin/promtool $(BIN)/ && \
		echo "prometheus and promtool from Debian's prometheus package, in $(BIN)"; \
	else \
		echo "Debian's prometheus package could not be unpacked: the alerting tests skip"; \
	fi; \
	rm -rf $$unpack

# loadscope: a module's tests run on one worker, so that its module-scoped fixtures (a
# routed population, a running router, the demo's journey) are built once, not on each.
test: $(STAMP) $(PROMETHEUS_TOOLS)
	$(BIN)/pytest -n auto --dist loadscope

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/saattaja schemas check schemas/jsonschema --examples schemas/examples
	$(BIN)/python -m docs.generate_settings_reference --check

bench: $(STAMP)
	$(BIN)/python -m bench

schemas: $(STAMP)
	$(BIN)/saattaja schemas export schemas/jsonschema

docs: $(STAMP)
	$(BIN)/python -m docs.generate_settings_reference --write

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
