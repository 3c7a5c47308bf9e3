# Kameng: `make serve` runs the demo shop, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000

.PHONY: serve build test browser bench clean deploy function-templates infra

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# checkov pins a boto3 of its own: it lives in a venv of its own, which only the tests need.
$(VENV)/checkov/.installed: requirements-checkov.txt | $(VENV)/.installed
	test -x $(VENV)/checkov/bin/python || $(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

build: $(VENV)/.installed
	$(PY) build.py

serve: build
	$(VENV)/bin/kameng demo-stock
	$(PY) -m kameng.local --port $(PORT)

# Debian's chromium drives the shopper's browser test; Playwright's own download needs internet.
# fonts-noto-cjk: without a CJK font the Chinese stations render as boxes and their layout is not the shoppers'.
browser:
	@{ test -x /usr/bin/chromium && dpkg -s fonts-noto-cjk >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium or fonts-noto-cjk is missing: sudo apt-get install chromium fonts-noto-cjk" >&2; exit 1; fi; }

test: $(VENV)/.installed $(VENV)/checkov/.installed browser
	$(PY) -m pytest -n 2 --dist loadgroup

bench: $(VENV)/.installed
	$(PY) loadtests/run_all.py

clean:
	rm -rf site var .pytest_cache

# infra/template.yaml is written, not edited: from infra/template.base.yaml, infra/template.py and the routes.
infra: $(VENV)/.installed
	$(PY) infra/template.py

# AWS: see infra/README.md. GUIDED=1 asks for the parameters the first time.
deploy:
	sam build --template-file infra/template.yaml --config-file "$(CURDIR)/infra/samconfig.toml"
	$(MAKE) --no-print-directory function-templates
	sam deploy --config-file "$(CURDIR)/infra/samconfig.toml" $(if $(GUIDED),--guided)

# sam build copies only the functions' code (CodeUri: functions/); every built function gets
# templates/mail (the mails) and every station theme (the console's publish builds with them; a theme
# may extend another) beside its kameng package, where kameng/config.py and kameng/content_wiring.py look first.
# The owner console's functions are built one level down, in the folder of their nested stack (Console/).
SAM_BUILD ?= .aws-sam/build
function-templates:
	@found=0; for code in $(SAM_BUILD)/*/ $(SAM_BUILD)/*/*/; do \
	  test -d "$$code/kameng" || continue; found=1; \
	  for theme in $$(ls templates | grep -vx console); do \
	    rm -rf "$$code/templates/$$theme" && mkdir -p "$$code/templates" && cp -R templates/$$theme "$$code/templates/$$theme" || exit 1; \
	  done; \
	done; \
	test $$found = 1 || { echo "no built function under $(SAM_BUILD): run sam build first" >&2; exit 1; }
