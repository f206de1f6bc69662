"""Why a bank rejected or returned a SEPA direct debit: the ISO 20022 reason codes and what they mean.

The codes are those the EPC allows in SDD Core R-transactions (EPC "Guidance on reason codes for SDD
R-transactions"), with the definitions of the ISO 20022 External Code Sets (ExternalStatusReason1Code
for the status report, ExternalReturnReason1Code for returns; the two agree on these codes).
"""

MEANINGS = {
    "AC01": "Account number is invalid or missing.",
    "AC04": "Account number specified has been closed on the bank of account's books.",
    "AC06": "Account specified is blocked, prohibiting posting of transactions against it.",
    "AC13": "Debtor account type is missing or invalid.",
    "AG01": "Transaction forbidden on this type of account.",
    "AG02": "Bank operation code specified in the message is not valid for receiver.",
    "AM04": "Amount of funds available to cover specified message amount is insufficient.",
    "AM05": "Duplication.",
    "BE05": "Party who initiated the message is not recognised by the end customer.",
    "CNOR": "Creditor bank is not registered under this BIC in the CSM.",
    "DNOR": "Debtor bank is not registered under this BIC in the CSM.",
    "FF01": "File format incomplete or invalid.",
    "FOCR": "Return following a cancellation request.",
    "MD01": "No mandate.",
    "MD02": "Mandate related information data required by the scheme is missing.",
    "MD06": "Return of funds requested by end customer.",
    "MD07": "End customer is deceased.",
    "MS02": "Reason has not been specified by end customer.",
    "MS03": "Reason has not been specified by agent.",
    "RC01": "Bank identifier code specified in the message has an incorrect format.",
    "RR01": "Specification of the debtor's account or unique identification needed for reasons of regulatory "
            "requirements is insufficient or missing.",
    "RR02": "Specification of the debtor's name and/or address needed for regulatory requirements is insufficient "
            "or missing.",
    "RR03": "Specification of the creditor's name and/or address needed for regulatory requirements is "
            "insufficient or missing.",
    "RR04": "Regulatory reason.",
    "SL01": "Due to specific service offered by the debtor agent.",
    "SL11": "Debtor has not included the creditor on its whitelist (yet).",
    "SL12": "Debtor included the creditor on its blacklist.",
    "SL13": "Due to maximum allowed direct debit transactions per period service offered by the debtor agent.",
    "SL14": "Due to maximum allowed direct debit transaction amount service offered by the debtor agent.",
    "TM01": "Associated message was received after agreed processing cut-off time.",
}

# Reasons that say the mandate or the account can no longer be collected from: presenting the debit again
# would bounce again, the customer has to sign a new mandate (on another account, or at all).
MANDATE_FAILED = frozenset(("AC01", "AC04", "AC06", "AC13", "AG01", "MD01", "MD02", "MD07", "SL11", "SL12"))

UNKNOWN = "NARR"


def meaning(code):
    """The ISO definition of ``code``, or None for a code outside the SDD list."""
    return MEANINGS.get((code or "").upper())


def mandate_failed(code):
    return (code or "").upper() in MANDATE_FAILED
