"""Installment plans in plain Python: no ORM, no Odoo, fast to test.

``schedule`` splits an amount into dated installments whose sum is exactly the amount, checks a plan
a user edited, and settles payments against installments oldest first.
"""
