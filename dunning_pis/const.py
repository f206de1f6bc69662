"""Constants of the pay-by-bank payment provider, as Odoo's provider modules keep them."""

PROVIDER_CODE = "pay_by_bank"

# SEPA credit transfers are in euros only.
SUPPORTED_CURRENCIES = ("EUR",)

DEFAULT_PAYMENT_METHOD_CODES = {PROVIDER_CODE}

# The services a pay-by-bank provider can go through; each is one adapter module of payment_initiation.
SERVICES = [
    ("banks", "The payers' banks, directly (licensed PISP)"),
    ("fintecture", "Fintecture"),
    ("gocardless", "GoCardless"),
]
# The services that show the payer the banks themselves: Odoo does not ask the payer for theirs.
CONTRACTED_SERVICES = ("fintecture", "gocardless")

STANDARDS = [("stet", "STET PSD2 API"), ("berlin_group", "Berlin Group NextGenPSD2")]
STANDARD_VERSIONS = {"stet": "1.6", "berlin_group": "1.3.12"}

# Days during which pending transactions are polled, in case the bank's notification never comes.
POLL_DAYS = 3

# Seconds between two status reads a payer's page or a notification may trigger for one payment.
READ_INTERVAL = 3
