# The README's two commands: `make reproduce` (the main job) and `make test` (every test).
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
# Where pip looks for torch first. Empty: the default index (PyPI's torch is the CUDA build on Linux x86-64);
# TORCH_INDEX=https://download.pytorch.org/whl/cpu installs the much smaller CPU-only build.
TORCH_INDEX ?=
PROFILE ?= mini
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TORCH_FROM := $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX) --extra-index-url https://pypi.org/simple)

.PHONY: reproduce test rehearse-test venv clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(TORCH_FROM) "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[dev]" "$(TORCH_SPEC)"
	touch $(STAMP)

venv: $(STAMP)

reproduce: $(STAMP)
	$(PY) -m sttr pipeline --profile $(PROFILE)

# The notebooks are checked on the tiny smoke profile (STTR_PROFILE); the pipeline runs mini.
test: $(STAMP)
	STTR_PROFILE=smoke $(PY) -m pytest tests notebooks --nbval-lax -p no:cacheprovider -m "not rehearsal"

# The paper profiles rehearsed at full model size on coverage data (minutes; CI runs it after make test).
rehearse-test: $(STAMP)
	$(PY) -m pytest tests -m rehearsal -p no:cacheprovider

clean:
	rm -rf $(VENV)
