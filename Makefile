# slpkit: two commands do everything.
#   make run   -> create .venv if missing, execute every notebook in smoke mode, write runs/<...>/REPORT.md
#   make test  -> create .venv if missing, run the test suite (which also executes every notebook in smoke mode)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
MODE   ?= smoke
# 2 pytest workers x 1 torch thread each fits CI's 2 cores without oversubscription; tests are
# handed out one at a time (--maxschedchunk 1) so the minutes-long notebook runs, collected
# first (tests/conftest.py), spread over both workers instead of queueing on one.
WORKERS ?= 2

.PHONY: env run test bench clean

env: $(VENV)/.installed

# CPU torch first (the local wheel here; elsewhere see README for the CPU wheel index),
# then slpkit with its dev extra. torch's range in pyproject is already satisfied, so no
# CUDA build is pulled. torchvision is never installed (it breaks torch here).
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	# torchcfm (the reference the flow-matching test compares against) and POT, which its module imports:
	# without their dependencies, which would pull torchdyn, scikit-learn and a CUDA torch
	$(BIN)/python -m pip install -q --no-deps torchcfm==1.0.7 POT==0.9.7.post1
	@! $(BIN)/python -m pip list 2>/dev/null | grep -iE '^(torchvision|nvidia-)' || (echo "CUDA/torchvision packages crept in: see README" && false)
	touch $@

run: env
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(BIN)/slpkit run --mode $(MODE) --jobs $(WORKERS)

test: env
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup --maxschedchunk 1 -q --durations=25

bench: env
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf runs .cache .pytest_cache
