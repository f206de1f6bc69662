"""ISO 20022 payment statuses (STET PSD2 v1.6, Berlin Group NextGenPSD2 1.3) and what they mean to us.

A bank reports a payment's progress as a status code. Only a final success settles an invoice
(ACSC, and ACCC where the creditor's bank reports it); a rejection or a cancellation ends the
payment; everything else is progress. Statuses may arrive late, twice or out of order: a status
never moves a payment backwards, and a final status is never changed.
"""

PENDING, DONE, ERROR, CANCEL = "pending", "done", "error", "cancel"

# Code: (outcome, rank). Ranks order the codes along a payment's life; finals outrank everything.
STATUSES = {
    "RCVD": (PENDING, 1),  # Received
    "PDNG": (PENDING, 2),  # Pending
    "PATC": (PENDING, 2),  # Partially accepted technical correct (Berlin Group: more SCA needed)
    "ACTC": (PENDING, 3),  # Accepted technical validation
    "ACCP": (PENDING, 4),  # Accepted customer profile
    "ACFC": (PENDING, 4),  # Accepted funds checked (Berlin Group)
    "ACWP": (PENDING, 5),  # Accepted without posting
    "ACWC": (PENDING, 5),  # Accepted with change
    "PART": (PENDING, 5),  # Partially accepted
    "ACSP": (PENDING, 6),  # Accepted settlement in process: irrevocable, not yet settled
    "ACSC": (DONE, 9),  # Accepted settlement completed (debtor's account debited)
    "ACCC": (DONE, 9),  # Accepted settlement completed (creditor's account credited, Berlin Group)
    "RJCT": (ERROR, 9),  # Rejected
    "CANC": (CANCEL, 9),  # Cancelled
}
FINAL_RANK = 9


class UnknownStatus(ValueError):
    """The bank sent a status code that ISO 20022 does not define for payment initiation."""


def outcome(code):
    """pending / done / error / cancel for a status code."""
    try:
        return STATUSES[code][0]
    except KeyError:
        raise UnknownStatus(code) from None


def is_final(code):
    return bool(code) and STATUSES.get(code, (None, 0))[1] == FINAL_RANK


def moves_forward(current, new):
    """Whether a payment at status ``current`` (or none yet) may take status ``new``."""
    outcome(new)
    if not current:
        return True
    current_rank = STATUSES.get(current, (None, 0))[1]
    return current_rank != FINAL_RANK and STATUSES[new][1] >= current_rank
