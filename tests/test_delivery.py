"""Which channels a reminder uses when addresses are missing, and when it counts as sent."""

import pytest
from messaging.delivery import (
    DELIVERED,
    FAILED,
    FALLBACK_LETTER,
    FALLBACK_NONE,
    FALLBACK_PHONE,
    PENDING,
    Channels,
    NoChannel,
    outcome,
    resolve,
)

EMAIL = Channels(email=True)
EMAIL_AND_SMS = Channels(email=True, sms=True)


def test_usable_addresses_change_nothing():
    assert resolve(EMAIL_AND_SMS, True, True, FALLBACK_LETTER) == (EMAIL_AND_SMS, None)


@pytest.mark.parametrize(("fallback", "expected"), [
    (FALLBACK_LETTER, Channels(letter=True)),
    (FALLBACK_PHONE, Channels(phone=True)),
])
def test_an_email_without_address_falls_back_as_the_policy_says(fallback, expected):
    assert resolve(EMAIL, False, True, fallback) == (expected, fallback)


def test_without_fallback_nothing_is_left_waiting():
    with pytest.raises(NoChannel):
        resolve(EMAIL_AND_SMS, False, False, FALLBACK_NONE)


def test_one_channel_that_reaches_the_customer_is_enough():
    assert resolve(EMAIL_AND_SMS, False, True, FALLBACK_LETTER) == (Channels(sms=True), None)
    assert resolve(Channels(email=True, letter=True), False, True, FALLBACK_PHONE) == (Channels(letter=True), None)


def test_levels_without_email_or_sms_are_left_alone():
    assert resolve(Channels(phone=True), False, False, FALLBACK_NONE) == (Channels(phone=True), None)


@pytest.mark.parametrize(("statuses", "expected"), [
    ([PENDING], PENDING),
    ([PENDING, DELIVERED], DELIVERED),
    ([FAILED, DELIVERED], DELIVERED),
    ([FAILED, PENDING], PENDING),
    ([FAILED, FAILED], FAILED),
    ([FAILED], FAILED),
])
def test_sent_once_one_delivery_reached_the_customer(statuses, expected):
    assert outcome(statuses) == expected
