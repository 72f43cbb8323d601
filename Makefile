# The two commands: `make run` (whole pipeline on real data) and `make test`.
# Both create/update the local virtualenv .venv from the pinned requirements first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
export PYTHONHASHSEED := 0

.PHONY: setup run test plots bench clean-venv

setup: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

# DATA_MIRROR (e.g. ../shared/datasets) is passed through to the download stage.
run: $(STAMP)
	$(BIN)/dvc repro

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A self-contained dvc_plots/index.html (Vega inlined: works offline) + SVG/PNG exports.
plots: $(STAMP)
	$(BIN)/python -m tools.offline_plots

# Benchmarks (need the real data from `make run` for realistic numbers; PyTorch only here).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	$(BIN)/python -m bench.mlp_vs_torch --repeats 5
	$(BIN)/python -m bench.keras_overhead --repeats 3

clean-venv:
	rm -rf $(VENV)
