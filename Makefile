# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv lock run test lint format bench screenshots clean

# requirements*.txt are locks (every package pinned, with its hashes, so pip installs in --require-hashes mode),
# compiled by `make lock` from the human-edited requirements*.in. A new dependency goes in a .in file, then `make lock`.
$(STAMP): requirements.txt requirements-elasticsearch.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Re-compile the locks after editing a .in file: the runtime first, then the Elasticsearch extra and dev, which keep
# its versions (-c). Pins already in a lock are kept; LOCK_ARGS="--upgrade-package NAME" (or --upgrade) moves them.
LOCK := CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: $(STAMP)
	$(LOCK) --output-file requirements.txt requirements.in
	$(LOCK) --output-file requirements-elasticsearch.txt requirements-elasticsearch.in
	$(LOCK) --output-file requirements-dev.txt requirements-dev.in

run: $(STAMP)
	$(PY) manage.py serve

# mypy reads its files (every domain/ strict, every services module) from [tool.mypy] in pyproject.toml.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/mypy

test: $(STAMP) lint
	$(PY) -m pytest $(PYTEST_ARGS)

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)

# Pictures of the main pages for the README (docs/screenshots/), from a fresh demo instance it starts and stops;
# SCREENSHOTS_ARGS="--base http://127.0.0.1:8000" takes them from a running one instead. Needs /usr/bin/chromium.
screenshots: $(STAMP)
	$(PY) scripts/screenshots.py $(SCREENSHOTS_ARGS)

clean:
	rm -rf var/ .pytest_cache .ruff_cache .mypy_cache
