# Two commands do all set-up on a fresh machine:  `make train`  and  `make test`.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python

.PHONY: train test test-slow test-all lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

train: $(VENV)/.installed   ## the main job: text task on BBC News (offline); ARGS="key=value ..." to override
	$(PY) scripts/train.py $(ARGS)

test: $(VENV)/.installed    ## the fast suite (offline; ../shared/data tests skip when it is absent)
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -m "not slow" $(ARGS)

test-slow: $(VENV)/.installed   ## the tests marked slow: wheels, subprocesses, DDP, browser
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -m slow $(ARGS)

test-all: $(VENV)/.installed    ## everything (CI runs test, then test-slow)
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check seqtasks scripts tests

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
