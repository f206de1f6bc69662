"""The rules of getting receivables paid, in plain Python: no ORM, no Odoo, fast to test.

The Odoo models of the addon stay thin and call these modules for every decision and computation.
"""
