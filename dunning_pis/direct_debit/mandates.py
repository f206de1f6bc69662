"""How long a signed SEPA Core mandate can be collected under (EPC SDD Core rulebook).

A mandate lapses when no collection was presented under it for 36 months (presented, whatever then
became of it); a mandate never used counts from its signature. A creditor must not collect under a
lapsed mandate: the customer signs a new one.
"""

from dateutil.relativedelta import relativedelta

LAPSE_MONTHS = 36


def lapse_date(signature_date, presented_dates=()):
    """The day the mandate lapses: 36 months after its last presented collection, else after its signature."""
    last_use = max([signature_date, *presented_dates])
    return last_use + relativedelta(months=LAPSE_MONTHS)


def is_usable(signature_date, presented_dates, today):
    """Whether debits may still be collected under the mandate on ``today``."""
    return signature_date is not None and today < lapse_date(signature_date, presented_dates)
