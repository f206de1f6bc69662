"""Constants of the pay-by-bank payment provider, as Odoo's provider modules keep them."""

PROVIDER_CODE = "pay_by_bank"

# SEPA credit transfers are in euros only.
SUPPORTED_CURRENCIES = ("EUR",)

DEFAULT_PAYMENT_METHOD_CODES = {PROVIDER_CODE}

STANDARDS = [("stet", "STET PSD2 API v1.6"), ("berlin_group", "Berlin Group NextGenPSD2 1.3")]

# Days during which pending transactions are polled, in case the bank's notification never comes.
POLL_DAYS = 3
