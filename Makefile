# The README's two commands: `make reproduce` (the main job) and `make test` (every test).
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PROFILE ?= mini
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: reproduce test venv clean

# Pin torch first (TORCH_SPEC): an unpinned torch may pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[dev]" "$(TORCH_SPEC)"
	touch $(STAMP)

venv: $(STAMP)

reproduce: $(STAMP)
	$(PY) -m sttr pipeline --profile $(PROFILE)

# The notebooks are checked on the tiny smoke profile (STTR_PROFILE); the pipeline runs mini.
test: $(STAMP)
	STTR_PROFILE=smoke $(PY) -m pytest tests notebooks --nbval-lax -p no:cacheprovider

clean:
	rm -rf $(VENV)
