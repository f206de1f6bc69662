"""PSD2 payment initiation (pay by bank), in plain Python: no ORM, no Odoo, fast to test.

``statuses`` maps ISO 20022 statuses to what they mean for an invoice, ``signing`` builds and checks
HTTP message signatures, ``adapters`` speaks the STET and Berlin Group APIs of the banks, and
``sandbox_bank`` is a bank of our own on loopback that speaks both, for tests and the demo.
"""
