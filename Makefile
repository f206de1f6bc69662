# The two commands of the README. Everything they need is set up on first use (see devkit/).
PYTHON ?= python3
SERVE ?= 1
# `make demo SERVICE=gocardless` (or fintecture): pay by bank through that service's sandbox.
SERVICE ?= banks
# Development only: `make test TAGS=/dunning_pis:TestDunningRun` runs just those Odoo tests.
TAGS ?=

.PHONY: demo test i18n bench

demo:
	$(PYTHON) -m devkit demo $(if $(filter 0,$(SERVE)),--no-serve,) --service $(SERVICE)

test:
	$(PYTHON) -m devkit test $(if $(TAGS),--tags '$(TAGS)',)

i18n:
	$(PYTHON) -m devkit i18n

bench:
	$(PYTHON) -c "from devkit import venv; venv.ensure()"
	.venv/bin/python bench/dunning_run.py
	.venv/bin/python bench/pay_by_bank_notifications.py
	.venv/bin/python bench/pain008_debits.py
	.venv/bin/python bench/cockpit.py
	.venv/bin/python bench/reminder_emails.py
