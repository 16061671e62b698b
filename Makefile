# Two set-up commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CS := $(VENV)/bin/conflictset
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo-out

.PHONY: install demo test studio-install studio-start studio-stop studio-status bench bench-scale clean

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

test: studio-install
	$(PY) -m pytest -q

bench: install
	$(PY) bench/build.py

clean:
	rm -rf $(DEMO_OUT) .pytest_cache

bench-scale: install
	$(PY) bench/scale.py
