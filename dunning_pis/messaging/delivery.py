"""How a reminder reaches its customer when an address is missing, and when it counts as sent.

A level asks for channels. An email or an SMS without a usable address (none, invalid, blacklisted,
bounced; no mobile number) is dropped, and said so. When nothing is left that reaches the customer, the
policy's fallback takes over: a letter to print or a phone call for the credit controller. Without a
fallback the reminder is in error with the reasons, rather than waiting for an address forever.

A reminder whose email and SMS are handed to their queues is sent as soon as one of them reaches the
customer, and in error once every one of them failed.
"""

import dataclasses

FALLBACK_LETTER = "letter"
FALLBACK_PHONE = "phone"
FALLBACK_NONE = "none"

PENDING = "pending"
DELIVERED = "sent"
FAILED = "failed"


class NoChannel(Exception):
    """Nothing can reach the customer and the policy has no fallback."""


@dataclasses.dataclass(frozen=True)
class Channels:
    email: bool = False
    sms: bool = False
    letter: bool = False
    phone: bool = False
    collection: bool = False

    def reaches_customer(self):
        return self.email or self.sms or self.letter or self.phone or self.collection


def resolve(requested, email_usable, sms_usable, fallback):
    """(the channels to use, the fallback used or None) for the ``requested`` channels."""
    usable = dataclasses.replace(requested, email=requested.email and email_usable, sms=requested.sms and sms_usable)
    if usable.reaches_customer() or not (requested.email or requested.sms):
        return usable, None
    if fallback == FALLBACK_LETTER:
        return dataclasses.replace(usable, letter=True), FALLBACK_LETTER
    if fallback == FALLBACK_PHONE:
        return dataclasses.replace(usable, phone=True), FALLBACK_PHONE
    raise NoChannel


def outcome(statuses):
    """The state of a reminder from the statuses of its emails and SMS handed to their queues."""
    if DELIVERED in statuses:
        return DELIVERED
    if PENDING in statuses:
        return PENDING
    return FAILED
