# Two set-up commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CS := $(VENV)/bin/conflictset
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo-out

.PHONY: install lint demo test browser studio-install studio-start studio-stop studio-status bench bench-scale clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

studio-install: install
	$(CS) studio install

studio-start: studio-install
	$(CS) studio start

studio-stop: install
	$(CS) studio stop

studio-status: install
	$(CS) studio status

demo: studio-install
	$(CS) demo --out $(DEMO_OUT)

# One test opens report.html in Debian's headless Chromium. Where we can install it (root with
# apt-get, as in CI) we do; elsewhere that test skips and pytest says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; }; } \
	  || echo "chromium is not installed: the report's browser test will skip"; }

# ruff, then the layers contract; import-linter reads packages from disk, so it checks a copy laid
# out as the wheel installs it (dataset/, schemas/, export/ inside conflictset/)
lint: install
	$(PY) -m ruff check .
	rm -rf .lint && mkdir -p .lint/conflictset && cp -r conflictset/. dataset schemas export .lint/conflictset/
	cd .lint && $(abspath $(VENV))/bin/lint-imports $(abspath pyproject.toml)

test: lint studio-install browser
	$(PY) -m pytest -q

bench: install
	$(PY) bench/build.py

clean:
	rm -rf $(DEMO_OUT) .pytest_cache

bench-scale: install
	$(PY) bench/scale.py
