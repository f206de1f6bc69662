"""SEPA direct debit in plain Python: no ORM, no Odoo, fast to test.

``identifiers`` checks IBANs, BICs, creditor identifiers and references and makes mandate references,
``latin`` brings text into the EPC's character set, and ``pain008`` builds the SEPA Core direct-debit
file (ISO 20022 pain.008.001.08) the bank collects from, validated against its schema.
"""
