# vidgen_tf: the whole set-up is `make lab` (run the course) or `make test` (run the tests).
# Both create .venv with the requirements and the package (editable) on first use.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install lab test test-unit test-notebooks test-oldest bench release check-release \
	notebooks clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "vidgen_tf needs Python 3.10 or newer: run make PYTHON=python3.11 ...")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Serve the course in JupyterLab (the reader's edition; students open lessons/). Jupyter refuses
# to run as root unless told (containers, Colab-like machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: install
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks

# Unit tests, course-tooling tests, then every notebook top to bottom at the smoke profile,
# installed as Colab installs it: from a wheel of this checkout, in a folder outside the
# repository (tests/run_notebooks.py). The notebooks' training runs go to a temporary folder
# (VIDGEN_RUNS), removed after, so a second `make test` starts from the same state as the first.
test: test-unit test-notebooks

# One test process per core, up to 4 (tracing TensorFlow graphs, most of the time, runs on one
# core), a whole file per process (module fixtures are made once), the longest files first
# (tests/conftest.py orders them by tests/file_seconds.json; --no-loadscope-reorder keeps that
# order); on a GPU each process takes the memory it needs instead of all of it.
XDIST := -n auto --maxprocesses 4 --dist loadfile --no-loadscope-reorder

test-unit: install
	TF_FORCE_GPU_ALLOW_GROWTH=true VIDGEN_PROFILE=smoke $(PY) -m pytest -q --durations=0 --durations-min=1 $(XDIST) tests

test-notebooks: install
	$(PY) -m tests.run_notebooks

# The same tests in a second environment with the floors of requirements.txt pinned (every
# `>=X` installed as `==X`): the oldest versions the course promises to run on.
OLD_VENV  := .venv-oldest
OLD_PY    := $(OLD_VENV)/bin/python
OLD_STAMP := $(OLD_VENV)/.installed

$(OLD_STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "vidgen_tf needs Python 3.10 or newer: run make PYTHON=python3.11 ...")'
	test -x $(OLD_PY) || $(PYTHON) -m venv $(OLD_VENV)
	$(OLD_PY) -m pip install --quiet --upgrade pip
	sed -E -e '/^#/d' -e 's/>=([^,]+)(,.*)?$$/==\1/' requirements.txt > $(OLD_VENV)/floors.txt
	$(OLD_PY) -m pip install --quiet -r $(OLD_VENV)/floors.txt
	$(OLD_PY) -m pip install --quiet --no-deps -e .
	touch $(OLD_STAMP)

test-oldest: $(OLD_STAMP)
	$(OLD_PY) -m pip install --quiet -r $(OLD_VENV)/floors.txt   # undo any upgrade since
	$(OLD_PY) -m pip list 2>/dev/null | grep -iE '^(tensorflow|keras|numpy|scipy|moviepy|matplotlib) '
	TF_FORCE_GPU_ALLOW_GROWTH=true VIDGEN_PROFILE=smoke $(OLD_PY) -m pytest -q $(XDIST) tests
	$(OLD_PY) -m tests.run_notebooks

# Benchmarks: writes benchmarks/results.md and benchmarks/results.json.
bench: install
	$(PY) -m vidgen_tf.bench

# The student edition (lessons/) from the reader's edition (notebooks/).
release: install
	$(PY) -m vidgen_tf.course release

check-release: install
	$(PY) -m vidgen_tf.course check-release

# Re-execute the reader's edition at the cpu profile (the committed outputs), then release.
notebooks: install
	$(PY) -m vidgen_tf.course execute notebooks/[0-9][0-9]_*.ipynb --profile cpu
	$(PY) -m vidgen_tf.course release

clean:
	rm -rf $(VENV) $(OLD_VENV) .pytest_cache build *.egg-info
