# Two commands for a new user: `make serve` and `make test`. Everything installs into .venv.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the CPU build of torch lies on disk on these machines; plain PyPI would pull CUDA wheels
WHEELS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install serve index lint test test-fast bench clean-index

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q $(WHEELS) "torch==2.13.0"
	$(BIN)/pip install -q $(WHEELS) -e ".[dev]"
	$(BIN)/python -m models.loading
	touch $(STAMP)

index: install
	$(BIN)/papersearch index

# with no index in the data dir (PAPERSEARCH_DATA_DIR, default ./data): a quick first pass (keywords, titles) is
# served within about a minute and the rest is built beside the server and swapped in (`serve --build`)
serve: install
	$(BIN)/papersearch serve --build

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not model"

bench: install
	$(BIN)/python bench/build_speed.py
