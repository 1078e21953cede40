# Thin wrappers: the logic lives in `python -m grading` and pytest.
# Every target creates .venv from requirements.lock when it is missing or out of date.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: demo test release check lab slides slides-assets bundle benchmark venv clean

$(STAMP): requirements.lock pyproject.toml
	$(PY) -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# reveal.js, require.js, jQuery and MathJax for offline decks, pinned by package-lock.json.
ASSETS := grading/slides_assets/node_modules/.package-lock.json
$(ASSETS): grading/slides_assets/package-lock.json
	npm ci --prefix grading/slides_assets --no-audit --no-fund --loglevel=error
	touch $(ASSETS)

slides-assets: $(ASSETS)

demo: $(STAMP)
	$(PY) -m grading demo

test: $(STAMP) $(ASSETS)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile

release: $(STAMP)
	$(PY) -m grading release

check: $(STAMP)
	$(PY) -m grading check

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

slides: $(STAMP) $(ASSETS)
	$(PY) -m grading slides

bundle: $(STAMP)
	$(PY) -m grading bundle

benchmark: $(STAMP)
	$(PY) benchmarks/grading_benchmark.py

clean:
	rm -rf build grading/submitted grading/autograded grading/feedback grading/integrity grading/gradebook.db grading/grades.csv
