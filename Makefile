# OpsPlan: `make run` sets up and opens the bundled sample; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
SAMPLE := resources/samples/bakery-jobshop.json
# Debian packages Qt needs (offscreen and Xvfb); installed when we are root.
QT_APT := libglib2.0-0 libgl1 libegl1 libfontconfig1 libxkbcommon0 libdbus-1-3

.PHONY: venv sysdeps test run lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[test]"
	touch $@

venv: $(VENV)/.installed

sysdeps:
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  if ! dpkg -s $(QT_APT) >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(QT_APT) >/dev/null; fi; \
	else \
	  dpkg -s $(QT_APT) >/dev/null 2>&1 || echo "note: not root; for the GUI install: sudo apt-get install $(QT_APT)"; \
	fi

test: sysdeps venv
	$(PY) -m pytest -m "not slow"

lint: venv
	$(VENV)/bin/ruff check .

run: sysdeps venv
	$(VENV)/bin/opsplan solve $(SAMPLE) --solver cpsat --time-limit 10 -o out/sample-plan.json

bench: venv
	$(VENV)/bin/opsplan bench jobshop --solver cpsat --time-limit 10 --threads 2

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis out
