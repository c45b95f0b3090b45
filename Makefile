# Set-up and everyday commands; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Front-end packages (KERN UX, htmx, axe-core) exactly as package-lock.json pins them; reinstalled when it changes.
NODE_STAMP := node_modules/.installed
# The browser tests drive Debian's chromium (never a downloaded browser); installed when missing.
CHROMIUM := /usr/bin/chromium
# The export tests convert workbooks with LibreOffice Calc (headless, without GUI packages); installed when missing.
SOFFICE := /usr/bin/soffice
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# Port of the development server: make run PORT=8080.
PORT ?= 8000

.PHONY: run test lint demo migrate assets

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

assets: $(NODE_STAMP)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

$(SOFFICE):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y libreoffice-calc-nogui

# After the front-end packages: STATICFILES_DIRS points into node_modules, and every manage.py command would warn
# (staticfiles.W004) on a first start while it is missing.
migrate: $(STAMP) $(NODE_STAMP)
	$(BIN)/python manage.py migrate --noinput

# Development only: DJANGO_DEBUG=1 enables the public development key and the demo accounts (password "demo").
demo: migrate
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_demo

# The task worker (exports, imports, opening rounds, cache warming) runs beside the server and stops with it.
run: demo
	DJANGO_DEBUG=1 sh -c '$(BIN)/python manage.py db_worker --no-startup-delay & worker=$$!; \
		trap "kill $$worker 2>/dev/null" EXIT INT TERM; $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)'

test: $(STAMP) $(NODE_STAMP) $(CHROMIUM) $(SOFFICE)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
