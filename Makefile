# Kameng: `make serve` runs the demo shop, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000

.PHONY: serve build test browser bench clean deploy

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

build: $(VENV)/.installed
	$(PY) build.py

serve: build
	$(VENV)/bin/kameng demo-stock
	$(PY) -m kameng.local --port $(PORT)

# Debian's chromium drives the shopper's browser test; Playwright's own download needs internet.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium" >&2; exit 1; fi; }

test: $(VENV)/.installed browser
	$(PY) -m pytest -n 2 --dist loadgroup

bench: $(VENV)/.installed
	$(PY) loadtests/run_all.py

clean:
	rm -rf site var .pytest_cache

# AWS: see infra/README.md. GUIDED=1 asks for the parameters the first time.
deploy:
	sam build --template-file infra/template.yaml --config-file "$(CURDIR)/infra/samconfig.toml"
	sam deploy --config-file "$(CURDIR)/infra/samconfig.toml" $(if $(GUIDED),--guided)
