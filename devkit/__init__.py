"""Development kit behind ``make demo`` and ``make test``.

Standard library only: it runs with the machine's Python before the virtualenv exists, creates
``.venv``, starts an embedded PostgreSQL cluster under ``.dev/`` and drives Odoo 19 with it.
"""
