# Two commands do all set-up on a fresh machine:  `make train`  and  `make test`.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
# the exact versions behind docs/results.md (pyproject.toml keeps ranges)
LOCK   := seqtasks/constraints.txt
# the reference datasets: `seqtasks data fetch NAME --to data`, or the shared copy beside the clone
DATA   ?= $(if $(wildcard ../shared/data),../shared/data,data)

.PHONY: train test test-slow test-all results lint lock clean

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c $(LOCK) -e '.[dev]'
	touch $@

train: $(VENV)/.installed   ## the main job: text task on BBC News (offline); ARGS="key=value ..." to override
	$(PY) scripts/train.py $(ARGS)

test: $(VENV)/.installed    ## the fast suite (offline; ../shared/data tests skip when it is absent)
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -m "not slow" $(ARGS)

test-slow: $(VENV)/.installed   ## the tests marked slow: wheels, subprocesses, DDP, browser
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -m slow $(ARGS)

test-all: $(VENV)/.installed    ## everything (CI runs test, then test-slow)
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q $(ARGS)

results: $(VENV)/.installed   ## run the experiments of docs/results.md (reusing finished runs), then write it; ARGS="--only bbc_lstm_2threads --seeds 0,1"
	$(VENV)/bin/seqtasks reproduce --data-root $(DATA) $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check seqtasks scripts tests

lock: $(VENV)/.installed     ## rewrite the lock from this venv (after a deliberate upgrade, then re-run `make results`)
	{ sed -n '1,3p' $(LOCK); $(PY) -m pip freeze --exclude-editable | LC_ALL=C sort -f; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
