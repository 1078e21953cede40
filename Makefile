# Thin wrappers: the logic lives in `python -m grading` and pytest.
# Every target creates .venv from requirements.lock when it is missing or out of date.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: demo test release check lab slides slides-assets hub-proxy bundle benchmark venv clean wipe

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

# configurable-http-proxy for the course's JupyterHub (hub/jupyterhub_config.py), pinned by
# hub/package-lock.json.
HUB_PROXY := hub/node_modules/.package-lock.json
$(HUB_PROXY): hub/package-lock.json
	npm ci --prefix hub --no-audit --no-fund --loglevel=error
	touch $(HUB_PROXY)

hub-proxy: $(HUB_PROXY)

demo: $(STAMP)
	$(PY) -m grading demo

test: $(STAMP) $(ASSETS) $(HUB_PROXY)
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

# Build artefacts only: build/ (slides, the student bundle, the demo's throw-away course),
# dist/, egg-info and Python caches. Never grading data (grading/submitted, autograded,
# feedback, integrity, gradebook.db, grades.csv), course.toml, data/, .venv or node_modules.
clean:
	rm -rf build dist .pytest_cache *.egg-info
	find . \( -path ./.venv -o -path ./.git -o -name node_modules \
	    -o -path ./grading/submitted -o -path ./grading/autograded -o -path ./grading/feedback \
	    -o -path ./grading/integrity -o -path ./data \) -prune \
	    -o -type d -name __pycache__ -prune -exec rm -rf {} +

# Grading data: lists what it deletes (with counts) and asks for the course id first.
wipe: $(STAMP)
	$(PY) -m grading wipe
