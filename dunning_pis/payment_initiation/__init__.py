"""PSD2 payment initiation (pay by bank), in plain Python: no ORM, no Odoo, fast to test.

``base`` is the interface every service implements (initiate a payment, read its status, confirm it)
with the values that cross it; ``stet`` and ``berlin_group`` speak the banks' own APIs, over the HTTP
plumbing of ``transport`` (OAuth2 client credentials, mutual TLS, HTTP signatures from ``signing``);
``fintecture`` and ``gocardless`` are the contracted services that choose the payer's bank themselves:
their bodies, signatures and answers are here, their HTTP goes through Odoo's provider request hooks;
``statuses`` says what a bank's status code means for an invoice; ``directory`` finds the payer's bank
from their IBAN. The sandbox bank the tests and the demo talk to lives outside the addon, in the
repository's ``sandboxes`` package.
"""
