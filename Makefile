# Two set-up commands (see README):  `make run` (main job)  and  `make test` (test suite).
# Both create the virtual environment .venv themselves on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test data bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/critmin report scenarios/forge-2026.yaml --against scenarios/baseline-2024.yaml -o out/forge-2026-report.html

test: $(STAMP)
	$(BIN)/python -m pytest

data: $(STAMP)
	$(BIN)/critmin data build

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
