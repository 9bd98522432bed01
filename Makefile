# The two commands: `make demo` and `make test`. Both create .venv and install on first use.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench bench-consortium bench-real-model clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## a paced conversation in the terminal on the offline model (ARGS="--mode debate")
	$(BIN)/chimera demo $(ARGS)

test: $(STAMP)  ## the whole suite (PostgreSQL/Redis tests skip with a reason unless CI=true)
	$(BIN)/pytest -q $(ARGS)

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)  ## the benchmarks, each printing JSON on its last line
	$(BIN)/python bench/turn_overhead.py
	$(BIN)/python bench/recall.py
	$(BIN)/python bench/memory.py

bench-consortium: $(STAMP)  ## Chimera's consortium beside llm-consortium (own venv, ~3 min)
	test -x bench/.venv-consortium/bin/python || bench/setup_consortium_env.sh
	$(BIN)/python bench/consortium.py

bench-real-model: $(STAMP)  ## chat, debate and ask on a local llama.cpp model (own venv, minutes)
	test -f bench/.real-model/model.gguf || bench/setup_real_model_env.sh
	nice $(BIN)/python bench/real_model.py

clean:
	rm -rf $(VENV) .chimera .pytest_cache .mypy_cache .ruff_cache
