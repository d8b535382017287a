# hlkit: `make lab` opens the lessons, `make test` runs every test. Both set up .venv first if needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8888
# CPU-only torch, never a multi-GB CUDA build: where the 2.13.0 CPU wheel lies on disk (pip finds it through
# its find-links) plain pip takes it; elsewhere pip takes it from PyTorch's CPU-only wheel index.
TORCH       ?= torch==2.13.0
TORCH_INDEX ?= $(if $(wildcard /opt/wheels/torch-2.13.0+cpu*),,--index-url https://download.pytorch.org/whl/cpu)
ROOT_FLAG   := $(if $(filter 0,$(shell id -u)),--allow-root,)
STAMP  := $(VENV)/.hlkit-installed

.PHONY: lab test lint bench clean setup

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH_INDEX) "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[lab,test]"
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --port=$(PORT) $(ROOT_FLAG) notebooks/00_start_here.ipynb

test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check hlkit tests

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
