# OpsPlan: `make run` sets up and opens the bundled sample; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
SAMPLE := resources/samples/bakery-jobshop.json
# Debian packages Qt needs offscreen, and on a real X display (xcb); installed when we are root.
QT_APT := libglib2.0-0 libgl1 libegl1 libfontconfig1 libxkbcommon0 libdbus-1-3 \
          libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 \
          libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0

.PHONY: venv sysdeps test run lint bench clean installer

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[test]"
	$(PY) -m opsplan.solvers.local.tabu_kernel
	touch $@

venv: $(VENV)/.installed

sysdeps:
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  VENVPKG=""; $(PYTHON) -c "import ensurepip" 2>/dev/null || VENVPKG=python3-venv; \
	  if [ -n "$$VENVPKG" ] || ! dpkg -s $(QT_APT) >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(QT_APT) $$VENVPKG >/dev/null; fi; \
	else \
	  dpkg -s $(QT_APT) >/dev/null 2>&1 || echo "note: not root; for the GUI install: sudo apt-get install $(QT_APT)"; \
	fi

test: sysdeps venv
	$(PY) -m pytest -m "not slow"

lint: venv
	$(VENV)/bin/ruff check .

# Opens the plan board on the sample, solved with cpsat. Without a display it says so,
# then solves headless and renders the board to out/sample-board.png instead.
run: sysdeps venv
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  $(VENV)/bin/opsplan gui $(SAMPLE) --solve cpsat --time-limit 10; \
	else \
	  echo "make run: no display (DISPLAY is unset), so the plan board cannot open a window here."; \
	  echo "          On a desktop run: make run   Under Xvfb: xvfb-run make run"; \
	  echo "          Solving headless and rendering the board to out/sample-board.png instead."; \
	  $(VENV)/bin/opsplan solve $(SAMPLE) --solver cpsat --time-limit 10 -o out/sample-plan.json && \
	  $(VENV)/bin/opsplan gui $(SAMPLE) --solve cpsat --time-limit 10 --screenshot out/sample-board.png; \
	fi

bench: venv
	$(VENV)/bin/opsplan bench jobshop --solver cpsat --time-limit 10 --threads 2

# The desktop bundle dist/opsplan/ (PyInstaller, one folder; docs/installer.md), smoke-tested.
# ONNXRUNTIME=cpu|gpu picks the onnxruntime build it carries (default: the venv's).
ONNXRUNTIME ?= auto
installer: venv
	ONNXRUNTIME=$(ONNXRUNTIME) installer/build.sh --python $(PY)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis out
