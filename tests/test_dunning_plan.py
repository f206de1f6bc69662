"""Level selection and grouping of a run, on the default French calendar."""

from datetime import date, timedelta

from receivables.dunning_plan import (
    Level,
    OpenItem,
    Policy,
    PolicyProblem,
    next_level,
    plan,
    policy_problems,
)

RUN = date(2026, 11, 25)
J_7, J_1, J1, J8, J15, J30, J45 = (
    Level(1, -7), Level(2, -1), Level(3, 1), Level(4, 8), Level(5, 15), Level(6, 30, charges=True), Level(7, 45),
)
FRENCH = Policy(10, (J_7, J_1, J1, J8, J15, J30, J45), min_gap_days=2)
SKIPPING = Policy(11, FRENCH.levels, min_gap_days=2, allow_skip=True)


def invoice(inv_id, days_late, customer=100, reached=None, amount=500.0, policy=10):
    return OpenItem(inv_id, customer, policy, RUN - timedelta(days=days_late), amount, reached)


def test_preventive_reminder_seven_days_before_due():
    assert next_level(FRENCH, None, -7) is J_7
    assert next_level(FRENCH, None, -8) is None


def test_late_invoice_never_reminded_starts_at_first_overdue_level():
    assert next_level(FRENCH, None, 40) is J1


def test_policy_allowing_skips_jumps_to_the_highest_level_reached():
    assert next_level(SKIPPING, None, 40) is J30


def test_levels_climb_one_at_a_time_when_their_delay_is_reached():
    assert next_level(FRENCH, J1.id, 10) is J8
    assert next_level(FRENCH, J8.id, 10) is None
    assert next_level(FRENCH, J45.id, 400) is None


def test_preventive_level_is_dropped_once_overdue():
    assert next_level(FRENCH, J_7.id, 0) is J_1
    assert next_level(FRENCH, J_7.id, 3) is J1


def test_preventive_level_is_dropped_once_a_later_one_is_reached():
    assert next_level(FRENCH, None, -3) is J_7
    assert next_level(FRENCH, None, -1) is J_1
    assert next_level(FRENCH, None, 0) is J_1


def test_same_day_twice_proposes_nothing_new():
    first = plan(RUN, {10: FRENCH}, [invoice(1, 8, reached=J1.id)])
    assert [r.lines for r in first] == [((1, J8.id),)]
    again = plan(RUN, {10: FRENCH}, [invoice(1, 8, reached=J8.id)], last_contact={100: RUN})
    assert again == []


def test_one_communication_per_customer_at_its_most_advanced_level():
    reminders = plan(RUN, {10: FRENCH}, [
        invoice(1, 31, reached=J15.id), invoice(2, 2, reached=None), invoice(3, 9, customer=200, reached=J1.id),
    ])
    assert [(r.customer_id, r.level_id, r.lines) for r in reminders] == [
        (100, J30.id, ((1, J30.id), (2, J1.id))),
        (200, J8.id, ((3, J8.id),)),
    ]


def test_preventive_reminders_wait_while_invoices_are_overdue():
    reminders = plan(RUN, {10: FRENCH}, [invoice(1, -7), invoice(2, 3)])
    assert [r.lines for r in reminders] == [((2, J1.id),)]


def test_minimum_gap_between_two_communications():
    invoices = [invoice(1, 8, reached=J1.id)]
    assert plan(RUN, {10: FRENCH}, invoices, last_contact={100: RUN - timedelta(days=1)}) == []
    assert plan(RUN, {10: FRENCH}, invoices, last_contact={100: RUN - timedelta(days=2)})


def test_level_needs_its_minimum_amount_over_the_customer_invoices():
    policy = Policy(12, (Level(1, 1, min_amount=100.0),))
    assert plan(RUN, {12: policy}, [invoice(1, 5, amount=40.0, policy=12), invoice(2, 5, amount=50.0, policy=12)]) == []
    assert plan(RUN, {12: policy}, [invoice(1, 5, amount=40.0, policy=12), invoice(2, 5, amount=60.0, policy=12)])


def test_invoices_without_policy_are_not_dunned():
    assert plan(RUN, {10: FRENCH}, [invoice(1, 20, policy=99)]) == []


def test_bad_policies_are_explained():
    assert policy_problems(()) == [(PolicyProblem.NO_LEVELS, None)]
    assert policy_problems((J8, J1)) == [(PolicyProblem.OUT_OF_ORDER, 1)]
    assert policy_problems((J1, J1)) == [(PolicyProblem.OUT_OF_ORDER, 1)]
    assert policy_problems((Level(1, -3, charges=True), J1)) == [(PolicyProblem.EARLY_CHARGES, 0)]
    assert policy_problems(FRENCH.levels, min_gap_days=-1) == [(PolicyProblem.NEGATIVE_GAP, None)]
    assert policy_problems(FRENCH.levels, min_gap_days=2) == []


def test_credits_that_cover_the_overdue_items_stop_the_reminder():
    # what is still claimed on each item comes net of credits: nothing claimed, nothing sent
    assert plan(RUN, {10: FRENCH}, [invoice(1, 31, reached=J15.id, amount=0.0)]) == []
    assert plan(RUN, {10: FRENCH}, [invoice(1, 31, reached=J15.id, amount=0.01)])


def test_every_overdue_item_is_listed_those_that_climb_and_the_others_at_their_level():
    reminders = plan(RUN, {10: FRENCH}, [
        invoice(1, 31, reached=J15.id), invoice(2, 10, reached=J8.id), invoice(3, 20, reached=J15.id, amount=0.0),
        invoice(4, -3),
    ])
    assert len(reminders) == 1
    assert reminders[0].level_id == J30.id
    assert reminders[0].lines == ((1, J30.id),)
    assert reminders[0].listed == ((3, J15.id), (2, J8.id)), "by due date; the item not yet due is not listed"


def test_minimum_amount_is_over_what_is_claimed_on_all_the_overdue_items():
    policy = Policy(12, (Level(1, 1, min_amount=100.0), Level(2, 10, min_amount=100.0)))
    waiting = invoice(2, 5, amount=70.0, policy=12, reached=1)
    assert plan(RUN, {12: policy}, [invoice(1, 5, amount=30.0, policy=12), waiting]), "30 + 70 claimed"
    covered = invoice(2, 5, amount=0.0, policy=12, reached=1)
    assert plan(RUN, {12: policy}, [invoice(1, 5, amount=30.0, policy=12), covered]) == [], "30 < 100"


def test_preventive_reminders_wait_while_something_overdue_is_claimed():
    assert plan(RUN, {10: FRENCH}, [invoice(1, -7), invoice(2, 10, reached=J8.id)]) == []
    assert [r.lines for r in plan(RUN, {10: FRENCH}, [invoice(1, -7), invoice(2, 10, reached=J8.id, amount=0.0)])] == [
        ((1, J_7.id),)]


def test_a_preventive_reminder_lists_the_items_due_before_the_one_it_reminds():
    reminders = plan(RUN, {10: FRENCH}, [invoice(1, -7), invoice(2, -3, reached=J_7.id), invoice(3, -20)])
    assert reminders[0].lines == ((1, J_7.id),)
    assert reminders[0].listed == ((2, J_7.id),)
