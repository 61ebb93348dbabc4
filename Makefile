# mmrec: two commands get a newcomer from clone to book.
#   make book   - set up the virtualenv (if needed) and build the HTML book from committed results
#   make test   - set up and run the whole test suite (unit, smoke notebooks, book + browser)
# Also: make reproduce (re-execute every notebook in the paper profile), make quick, make clean.

SHELL := /bin/bash
PYTHON ?= python3
# Pages trained side by side by `make reproduce` (one thread each; mmrec_core.parallel).
JOBS ?= 2
VENV ?= .venv
PY := $(VENV)/bin/python
REQ_HASH := $(shell cat requirements.txt | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(REQ_HASH)
# The data home is found by the package itself, the same way for make, papermill and python:
# $MMREC_DATA, then mmrec.toml (data_home = "..."), then ../shared/data, then ~/.cache/mmrec/data.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: setup browser test test-unit book reproduce quick clean

setup: $(STAMP)
	@$(PY) -m pip install -q --no-deps --no-build-isolation -e . >/dev/null
	@$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

# Headless Chromium and its driver for the book test (Debian packages; needs root or sudo).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium not installed: the browser test will be skipped"; fi; fi

test: setup browser
	$(PY) -m pytest tests -q -p no:cacheprovider

test-unit: setup
	$(PY) -m pytest tests/unit -q -p no:cacheprovider

book: setup
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	@echo "Book built: $(abspath _build/html/index.html)"

reproduce: setup
	$(PY) -m mmrec_core run --profile paper --jobs $(JOBS)
	$(MAKE) book

quick: setup   # one line per notebook as it starts and ends
	$(PY) -m mmrec_core run --profile quick

clean:
	rm -rf _build results/quick
