# hlkit: `make lab` opens the lessons, `make test` runs every test. Both set up .venv first if it is missing.
#   make lab [PORT=8888] [TOKEN=secret] [LAB_ARGS=--no-browser]   JupyterLab on notebooks/00_start_here.ipynb
#   make test [PYTEST_ARGS=...]   ruff, then pytest: tests/ and every notebook under strict nbval
#   make notebooks   re-execute every lesson top to bottom and save it (tests/execute_notebooks.py)
#   make app [APP_PORT=8866]   lecture mode: the Playground as a page without code (Voila)
#   make lint        ruff only
#   make bench [BENCH_ARGS=--quick]   time hlkit (benchmarks/run.py), writes benchmarks/RESULTS.md
#   make class [N=8]  a simulated class of 1, 4 and N learners on a local JupyterHub (benchmarks/class_load.py):
#                    memory, CPU and waits per learner, into benchmarks/RESULTS.md ("A class on one JupyterHub")
#   make clean       remove .venv and caches
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8888
APP_PORT ?= 8866
TOKEN  ?=
LAB_ARGS ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=
N ?= 8

# CPU-only torch, never a multi-GB CUDA build. Where the 2.13.0 CPU wheel for this Python lies in /opt/wheels
# (pip's find-links on the machines this kit is built on), pip takes that file: its version 2.13.0+cpu sorts
# above PyPI's 2.13.0. Everywhere else pip takes torch from PyTorch's CPU-only wheel index and nothing else.
TORCH       ?= torch==2.13.0
PYTAG       := $(shell $(PYTHON) -c 'import sys; print("cp%d%d" % sys.version_info[:2])' 2>/dev/null)
TORCH_WHEEL := $(wildcard /opt/wheels/torch-2.13.0+cpu-$(PYTAG)-*.whl)
TORCH_FROM  ?= $(if $(TORCH_WHEEL),--find-links /opt/wheels,--index-url https://download.pytorch.org/whl/cpu)

# fails (and says so) where the installed torch is a CUDA build
CHECK_CPU   := 'import sys, torch; print("torch", torch.__version__, "CUDA" if torch.version.cuda else "CPU-only"); sys.exit(torch.version.cuda is not None)'

ROOT_FLAG  := $(if $(filter 0,$(shell id -u)),--allow-root,)
TOKEN_FLAG := $(if $(TOKEN),--IdentityProvider.token=$(TOKEN),)
# JupyterLab reads defaults from <env>/share/jupyter/lab/settings/overrides.json: no news or update pop-ups
SETTINGS   := $(VENV)/share/jupyter/lab/settings/overrides.json
STAMP      := $(VENV)/.hlkit-installed
LINTED     := hlkit tests $(wildcard benchmarks)

.PHONY: setup lab app test lint notebooks bench class clean

setup: $(STAMP) $(SETTINGS)

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(TORCH_FROM) "$(TORCH)"
	@$(BIN)/python -c $(CHECK_CPU) || { echo "torch in $(VENV) is a CUDA build: run 'make clean' and retry"; exit 1; }
	$(BIN)/python -m pip install -q -e ".[lab,test,browser]"
	@# nbgrader (a test dependency) switches on its menus and server extensions for everyone: learners do not need
	@# them (docs/instructors.md says how an instructor turns them back on)
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null
	$(BIN)/jupyter server extension disable --sys-prefix nbgrader.server_extensions.formgrader \
	  nbgrader.server_extensions.validate_assignment nbgrader.server_extensions.assignment_list \
	  nbgrader.server_extensions.course_list >/dev/null 2>&1
	@$(BIN)/python -c $(CHECK_CPU) >/dev/null || { echo "torch in $(VENV) became a CUDA build: run 'make clean'"; exit 1; }
	@touch $(STAMP)

$(SETTINGS): binder/overrides.json
	@mkdir -p $(dir $(SETTINGS))
	cp binder/overrides.json $(SETTINGS)

lab: setup
	$(BIN)/jupyter lab --port=$(PORT) $(ROOT_FLAG) $(TOKEN_FLAG) $(LAB_ARGS) notebooks/00_start_here.ipynb

# lecture mode: the Playground as a page without code (Voila), for projecting in class. Front-end extensions that
# break inside Voila (Notebook 7's, nbgrader's, Voila's own preview) are left out.
app: setup
	$(BIN)/voila notebooks/lecture/playground.ipynb --port=$(APP_PORT) --no-browser \
	  --VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension \
	  --VoilaConfiguration.extension_denylist=@jupyter/nbgrader \
	  --VoilaConfiguration.extension_denylist=@voila-dashboards/jupyterlab-preview \
	  --VoilaConfiguration.progressive_rendering=True

# pytest prints its summary line ("N passed ..."). Its exit code 5 means no test was collected: here that is a
# broken checkout (tests/ and notebooks/ always hold tests), so it fails instead of passing quietly.
test: lint
	@status=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: are tests/ and notebooks/ there?" >&2; exit 1; fi; \
	exit $$status

lint: setup
	$(BIN)/ruff check $(LINTED)

notebooks: setup
	$(BIN)/python tests/execute_notebooks.py

bench: setup
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

class: setup
	$(BIN)/python benchmarks/class_load.py --learners 1 4 $(N)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
