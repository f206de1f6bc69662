"""ISO 20022 payment statuses as STET PSD2 v1.6 and Berlin Group NextGenPSD2 1.3.12 use them.

A bank reports a payment's progress as a status code. Each standard allows its own list of codes, and
a code outside the list of the bank's standard is an answer we cannot read. Only a final success
settles an invoice: ACSC (the payer's account was debited, both standards) and ACCC (the payee's
account was credited, Berlin Group only). A rejection or a cancellation ends the payment; everything
else is progress. Statuses may arrive late, twice or out of order: a status never moves a payment
backwards, and a final status is never changed.
"""

PENDING, DONE, ERROR, CANCEL = "pending", "done", "error", "cancel"

# Code: (outcome, rank). Ranks order the codes along a payment's life; finals outrank everything.
CODES = {
    "RCVD": (PENDING, 1),  # Received
    "PDNG": (PENDING, 2),  # Pending: further checks and status update will be performed
    "PATC": (PENDING, 2),  # Partially accepted technical correct: more SCA is needed
    "ACTC": (PENDING, 3),  # Accepted technical validation
    "ACCP": (PENDING, 4),  # Accepted customer profile
    "ACFC": (PENDING, 4),  # Accepted funds checked
    "ACWP": (PENDING, 5),  # Accepted without posting to the creditor's account
    "ACWC": (PENDING, 5),  # Accepted with change (date, remittance)
    "PART": (PENDING, 5),  # Partially accepted (bulk payments)
    "ACSP": (PENDING, 6),  # Accepted settlement in process: irrevocable, not yet settled
    "ACSC": (DONE, 9),  # Accepted settlement completed on the debtor's account
    "ACCC": (DONE, 9),  # Accepted settlement completed on the creditor's account
    "RJCT": (ERROR, 9),  # Rejected
    "CANC": (CANCEL, 9),  # Cancelled before execution
}
FINAL_RANK = 9
# The payer has yet to approve the payment at their bank (PATC: some of several approvals are missing).
BEFORE_APPROVAL = frozenset({"RCVD", "PATC"})

# STET v1.6 Part 2 §4.1 (PaymentInformationStatusCode and TransactionIndividualStatusCode): no ACCC,
# ACFC nor PATC. Berlin Group 1.3.12, components/schemas/transactionStatus: all fourteen.
VOCABULARIES = {
    "stet": frozenset({"RCVD", "PDNG", "ACTC", "ACCP", "ACWP", "ACWC", "PART", "ACSP", "ACSC", "RJCT", "CANC"}),
    "berlin_group": frozenset(CODES),
}


class UnknownStatus(ValueError):
    """The bank sent a status code that its standard does not define for payment initiation."""


def outcome(code, standard=None):
    """pending / done / error / cancel for a status code, of a given standard's list when one is named."""
    if code not in CODES or (standard and code not in VOCABULARIES[standard]):
        raise UnknownStatus(code)
    return CODES[code][0]


def is_final(code):
    return bool(code) and CODES.get(code, (None, 0))[1] == FINAL_RANK


def moves_forward(current, new):
    """Whether a payment at status ``current`` (or none yet) may take status ``new``."""
    outcome(new)
    if not current:
        return True
    current_rank = CODES.get(current, (None, 0))[1]
    return current_rank != FINAL_RANK and CODES[new][1] >= current_rank
