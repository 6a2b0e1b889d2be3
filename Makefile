# Two commands for a newcomer:  make lab   /   make test   (trainees without code: make app)
# Everything installs into .venv; a stamp file skips the install when nothing changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LAB_ARGS ?=
# JupyterLab refuses to run as root unless told; containers often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
PYTEST_ARGS ?=
# `make test` runs on every core (pytest-xdist), with one worker more than cores: the browser, hub and
# review-loop tests spend much of their time waiting on browsers, servers and kernels, and the extra
# worker runs other tests in those gaps (2 cores: 118 s against 128 s with two workers).
# TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
# The trainee app (Voila); opens the browser like `make lab`. It listens on this computer only and prints two
# links: the trainees' and the trainer's (with a token).
# A training room (opens it to the local network; see the README): make app APP_ARGS="--lan --no-browser"
# Other options: --room N (trainees at once), --max-kernels N, --trainer-token T (or REFUNDKIT_TRAINER_TOKEN).
APP_PORT ?= 8866
APP_ARGS ?=
# A room behind logins (JupyterHub + PostgreSQL): make hub HUB_PORT=8000 [HUB_DB=postgresql://...]
# [HUB_PASSWORD=...] [HUB_TRAINEES="王芳 李雷"]; HUB_ARGS goes to python -m refundkit.hub as it is.
HUB_PORT ?= 8000
HUB_DB ?=
HUB_PASSWORD ?=
HUB_TRAINEES ?=
HUB_ARGS ?=
DEPS := pyproject.toml

.PHONY: lab trainer app hub test venv clean nbdime refresh

# The venv gets uv from this Python's pip (`pip --python`, no pip inside the venv: installing pip there
# took 7 s of a 22-s install); where that pip is missing or too old, from pip installed in the venv.
$(BIN)/python:
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install --quiet uv 2>/dev/null || \
	  { $(BIN)/python -m ensurepip --upgrade >/dev/null && $(BIN)/python -m pip install --quiet --upgrade uv; } || true

# Prefer uv (fast); fall back to plain pip when uv is unavailable. No bytecode is compiled ahead: Python
# compiles what is imported on first use (`make test` lets it write), about 30 s of CPU less per install.
define install
	if [ -x $(BIN)/uv ]; then \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python $(1); \
	elif [ ! -x $(BIN)/pip ]; then \
	  $(BIN)/python -m ensurepip --upgrade >/dev/null && $(BIN)/python -m pip install --quiet $(1); \
	else \
	  $(BIN)/python -m pip install --quiet $(1); \
	fi
endef

$(VENV)/.installed: $(DEPS) | $(BIN)/python
	$(call install,-e .)
	touch $@

$(VENV)/.installed-hub: $(DEPS) $(VENV)/.installed
	$(call install,-e .[hub])
	touch $@

# The proxy JupyterHub talks to, from npm into the hub's folder (Node from the OS packages).
.hub/node_modules/.bin/configurable-http-proxy:
	npm install --prefix .hub --no-audit --no-fund --loglevel=error configurable-http-proxy@4

# The test extra holds the kit's own dependencies too: one install (one resolution) makes both stamps.
$(VENV)/.installed-test: $(DEPS) | $(BIN)/python
	$(call install,-e .[test])
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed

# JupyterLab's defaults for this venv (share/jupyter/lab/settings/overrides.json): Chinese menus
# (the zh-CN language pack is a dependency), no news or update pop-up. A user's own choice still wins.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
$(LAB_OVERRIDES): tools/jupyterlab_overrides.json | $(BIN)/python
	mkdir -p $(dir $@)
	cp $< $@

# Trainees: JupyterLab on notebooks/ only (lessons, and exercises/ inside it); the trainer's answer
# sheets and dashboard (exercises/trainer/) are outside that root, and there is no terminal.
# The kernels of both are the app's (src/refundkit/app/share, first on JUPYTER_PATH): on Unix sockets in a
# folder of their own, where nothing else can take a kernel's port as it starts (refundkit.kernel_sockets).
KIT_JUPYTER_PATH = JUPYTER_PATH="$(CURDIR)/src/refundkit/app/share$${JUPYTER_PATH:+:$$JUPYTER_PATH}"
lab: $(VENV)/.installed $(LAB_OVERRIDES)
	$(KIT_JUPYTER_PATH) $(BIN)/jupyter lab notebooks/00_start_here.ipynb --ServerApp.root_dir=notebooks \
	  --ServerApp.terminals_enabled=False $(ROOT_FLAG) $(LAB_ARGS)

# The trainer: JupyterLab on the whole kit, opening the workshop dashboard; lessons show their
# solutions at once (REFUNDKIT_TRAINER=1) instead of behind a button.
trainer: $(VENV)/.installed $(LAB_OVERRIDES)
	REFUNDKIT_TRAINER=1 $(KIT_JUPYTER_PATH) $(BIN)/jupyter lab exercises/trainer/workshop_dashboard.ipynb --ServerApp.root_dir=. \
	  $(ROOT_FLAG) $(LAB_ARGS)

app: $(VENV)/.installed
	$(BIN)/python -m refundkit.app --port=$(APP_PORT) $(APP_ARGS)

hub: $(VENV)/.installed-hub .hub/node_modules/.bin/configurable-http-proxy
	$(BIN)/python -m refundkit.hub --port=$(HUB_PORT) --state=.hub $(if $(HUB_DB),--db="$(HUB_DB)") \
	  $(if $(HUB_PASSWORD),--password="$(HUB_PASSWORD)") $(if $(HUB_TRAINEES),--trainees="$(HUB_TRAINEES)") $(HUB_ARGS)

# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE): every
# process of a run (workers, kernels, servers, the review loop's runs) would otherwise compile the
# kit and pytest's rewritten plugins again, seconds each.
# The hub tests need JupyterHub's proxy from npm: installed here when npm is on the machine
# (.ci/run makes sure it is), so `make test` alone runs them from a fresh clone.
test: $(VENV)/.installed-test $(LAB_OVERRIDES)
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory .hub/node_modules/.bin/configurable-http-proxy; \
	else echo "npm not found: tests/hub will say it cannot start the proxy"; fi
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Readable notebook diffs and merges in git for this clone (.gitattributes names the driver):
# installs nbdime into the venv and points git at it by absolute path, so no activated venv is needed.
nbdime: $(VENV)/.installed
	$(call install,nbdime)
	git config diff.jupyternotebook.command "$(abspath $(BIN))/git-nbdiffdriver diff"
	git config merge.jupyternotebook.name "jupyter notebook merge driver"
	git config merge.jupyternotebook.driver "$(abspath $(BIN))/git-nbmergedriver merge %O %A %B %L %P"

# Re-run every lesson notebook in place after an intended SOP change; then read
# `git diff notebooks/`: only the outputs the change moved should differ.
# Exercise notebooks out of step with exercises/questions.yaml are first rewritten (tools/build_exercises.py).
NOTEBOOKS ?= notebooks exercises
refresh: $(VENV)/.installed-test
	$(BIN)/python tools/build_exercises.py --no-run
	$(BIN)/python tools/refresh_notebooks.py $(NOTEBOOKS)

clean:
	rm -rf $(VENV)
