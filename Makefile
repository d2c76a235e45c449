# The two commands a new user needs: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= $(or $(STREAMLIT_SERVER_PORT),8501)
# This machine only, unless told otherwise: local mode (no sign-in) gives whoever connects every
# right. Serve a team with sign-in set up and `make run ADDRESS=0.0.0.0` (README).
ADDRESS ?= $(or $(STREAMLIT_SERVER_ADDRESS),127.0.0.1)

.PHONY: run test lint bench demo chromium clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Browser tests drive Debian's chromium; install it once if it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || sudo sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null'; }

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS) --server.headless true

test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .

# What users wait for (docs/benchmarks.md): ingest as a whole process against a whole-process
# parse, every workbook shape and upload mode; the in-process store and query figures (which
# build the 5,000-project, 36-month store once, cached in bench/out/); pages in Chromium on it
# and the board pack. About 20 minutes the first time on 2 cores. Then ten years of monthly
# returns (a 120-month store, built once and cached; about an hour the first time) and 20 browser
# sessions reading while a month loads.
bench: $(STAMP) chromium
	$(BIN)/python bench/ingest_bench.py --write --json bench/out/ingest.json
	$(BIN)/python bench/run_bench.py
	$(BIN)/python bench/browser_bench.py --write --json bench/out/browser.json
	nice -n 10 $(BIN)/python bench/ten_years.py --months 120
	$(BIN)/python bench/concurrent_bench.py --json bench/out/concurrent.json

demo: $(STAMP)
	$(BIN)/pmo-metrics demo

clean:
	rm -rf $(VENV) data/pmo.duckdb data/pmo.duckdb.wal
