import re
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import DunningCommon, portal_today


@tagged("post_install", "-at_install")
class TestDunningSelfService(DunningCommon, HttpCase):
    """The customer answers a reminder from its link, over real HTTP: "I will pay on <date>" or "I dispute this
    invoice". Dunning pauses as when the controller records it, and the controller gets an activity; a wrong
    answer is told on the page and changes nothing; a wrong link shows nothing."""

    def setUp(self):
        super().setUp()
        # The company's people work in Paris: the backend's day is then the customer's pages' at any hour.
        self.env.user.tz = "Europe/Paris"
        self.overdue = self.invoice(self.business, 1200.0,
                                    fields.Date.context_today(self.env.user) - timedelta(days=20))
        self.today = portal_today(self, self.overdue)

    def page(self, invoice=None, url=None, **post):
        url = url or (invoice or self.overdue).dunning_self_service_url
        answer = self.url_open(url)
        if not post:
            return answer
        self.assertEqual(answer.status_code, 200)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', answer.text).group(1)
        return self.url_open(url, data={"csrf_token": csrf, **post})

    def activities(self, invoice=None):
        return (invoice or self.overdue).activity_ids

    def test_the_reminder_links_to_the_answer_page(self):
        communication = self.run_dunning(self.today).communication_ids
        self.send(communication)
        self.assertEqual(len(self.smtp.messages), 1)
        link = self.overdue.dunning_self_service_url
        self.assertIn(link, self.smtp.messages[0]["html"], "the email says where to tell us")
        page = self.url_open(link)
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.overdue.name, page.text)
        self.assertIn("1,200.00", page.text, "what is left to pay")
        self.assertIn('id="dunning_self_service_promise"', page.text)
        self.assertIn('id="dunning_self_service_dispute"', page.text)

    def test_a_promise_pauses_dunning_until_its_date_and_tells_the_controller(self):
        promised_for = self.today + timedelta(days=10)
        page = self.page(answer="promise", date=fields.Date.to_string(promised_for), note="Paiement le 10, merci.")
        self.assertEqual(page.status_code, 200)
        self.assertIn('id="dunning_self_service_done"', page.text)
        self.assertEqual((self.overdue.dunning_promise_date, self.overdue.dunning_promise_amount,
                          self.overdue.dunning_promise_residual), (promised_for, 1200.0, 1200.0),
                         "the amount left to pay, by that date")
        self.assertFalse(self.run_dunning(self.today).communication_ids, "no reminder before the promised date")
        activity = self.activities()
        self.assertEqual(activity.activity_type_id, self.env.ref("dunning_pis.mail_activity_dunning_customer_promise"))
        self.assertEqual((activity.user_id, activity.date_deadline), (self.controller, promised_for),
                         "the customer's credit controller checks it came in on the day")
        self.assertIn("1,200.00", activity.summary)
        note = self.overdue.message_ids.filtered(lambda message: "From the link of a reminder" in str(message.body))
        self.assertEqual(note.author_id, self.business, "the customer's own words, in the chatter")
        self.assertIn("Paiement le 10, merci.", str(note.body))

    def test_control_a_promise_too_far_ahead_or_in_the_past_changes_nothing(self):
        for day, error in ((self.today + timedelta(days=31), "up to 30 days ahead"),
                           (self.today - timedelta(days=1), "today or a later date")):
            page = self.page(answer="promise", date=fields.Date.to_string(day))
            self.assertEqual(page.status_code, 200)
            self.assertIn(error, page.text)
        page = self.page(answer="promise", date="not a date")
        self.assertIn("Give the date you will pay on", page.text)
        self.overdue.invalidate_recordset()
        self.assertFalse(self.overdue.dunning_promise_date)
        self.assertFalse(self.activities())
        self.assertEqual(self.run_dunning(self.today).communication_ids.line_ids.invoice_id, self.overdue,
                         "dunning goes on")

    def test_control_the_limit_is_the_company_s(self):
        self.company.dunning_promise_max_days = 45
        self.page(answer="promise", date=fields.Date.to_string(self.today + timedelta(days=31)))
        self.assertEqual(self.overdue.dunning_promise_date, self.today + timedelta(days=31))

    def test_a_dispute_stops_dunning_until_cleared_and_tells_the_controller(self):
        page = self.page(answer="dispute", reason="not_received", note="Jamais livré.")
        self.assertIn('id="dunning_self_service_disputed"', page.text)
        self.assertNotIn('id="dunning_self_service_promise"', page.text, "nothing more to answer")
        self.assertEqual((self.overdue.dunning_disputed, self.overdue.dunning_dispute_reason,
                          self.overdue.dunning_dispute_note, self.overdue.dunning_dispute_date),
                         (True, "not_received", "Jamais livré.", self.today))
        self.assertFalse(self.run_dunning(self.today).communication_ids)
        activity = self.activities()
        self.assertEqual(activity.activity_type_id, self.env.ref("dunning_pis.mail_activity_dunning_customer_dispute"))
        self.assertEqual((activity.user_id, activity.date_deadline), (self.controller, self.today))
        self.assertIn("Not received", activity.summary)
        # a second answer on a disputed invoice is not taken (the page has no form left: the form of another one
        # gives the session's CSRF token)
        csrf_page = self.page(self.invoice(self.business, 100.0, self.today))
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', csrf_page.text).group(1)
        page = self.url_open(self.overdue.dunning_self_service_url, data={
            "csrf_token": csrf, "answer": "promise", "date": fields.Date.to_string(self.today + timedelta(days=3))})
        self.assertEqual(page.status_code, 200)
        self.overdue.invalidate_recordset()
        self.assertFalse(self.overdue.dunning_promise_date)
        self.assertEqual(len(self.activities()), 1)
        self.overdue.action_dunning_clear_dispute()
        self.assertEqual(self.run_dunning(self.today).communication_ids.line_ids.invoice_id, self.overdue)

    def test_control_a_dispute_needs_a_reason_and_other_needs_words(self):
        for post, error in (({"reason": ""}, "Say why the invoice is disputed"),
                            ({"reason": "rubbish"}, "Say why the invoice is disputed"),
                            ({"reason": "other", "note": "  "}, "Say in a few words what is wrong")):
            page = self.page(answer="dispute", **post)
            self.assertEqual(page.status_code, 200)
            self.assertIn(error, page.text)
        self.overdue.invalidate_recordset()
        self.assertFalse(self.overdue.dunning_disputed)
        self.assertFalse(self.activities())
        self.page(answer="dispute", reason="other", note="Prix non conforme au devis.")
        self.assertEqual(self.overdue.dunning_dispute_reason, "other")

    def test_a_wrong_link_shows_nothing_and_changes_nothing(self):
        good = self.overdue.dunning_self_service_url
        for url in (good.replace("access_token=", "access_token=x"), good.split("?")[0],
                    good.replace(f"/invoices/{self.overdue.id}/", "/invoices/999999999/")):
            page = self.url_open(url, allow_redirects=False)
            self.assertIn(page.status_code, (302, 303), url)
            self.assertNotIn(self.overdue.name, page.text)
        csrf_page = self.url_open(good)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', csrf_page.text).group(1)
        page = self.url_open(good.replace("access_token=", "access_token=x"), allow_redirects=False,
                             data={"csrf_token": csrf, "answer": "dispute", "reason": "forgotten"})
        self.assertIn(page.status_code, (302, 303))
        self.overdue.invalidate_recordset()
        self.assertFalse(self.overdue.dunning_disputed)

    def test_the_page_names_who_to_ask(self):
        """The customer's credit controller; without one, an invoice made by OdooBot (a cron, an import, these
        tests) names the company, never OdooBot."""
        self.assertIn("Any question: Claire Controller (claire@example.com)",
                      " ".join(self.page().text.split()))
        invoice = self.invoice(self.consumer, 300.0, self.today - timedelta(days=5))
        self.company.dunning_default_controller_id = False
        invoice.invoice_user_id = self.env.ref("base.user_root")
        self.assertTrue(invoice._dunning_controller()._is_superuser(), "nobody follows it up but OdooBot")
        self.company.email = "compta@example.com"
        text = " ".join(self.page(invoice).text.split())
        self.assertIn(f"Any question: {self.company.name} (compta@example.com)", text)
        self.assertNotIn("OdooBot", text)

    def test_a_paid_invoice_has_nothing_to_answer(self):
        self.pay(self.overdue, 1200.0, self.today)
        page = self.page()
        self.assertIn("Nothing is left to pay", page.text)
        self.assertNotIn('id="dunning_self_service_promise"', page.text)

    def test_the_backend_records_the_same_pause_without_an_activity(self):
        action = self.overdue.action_dunning_promise()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.write({"date": self.today + timedelta(days=60), "amount": 500.0})
        wizard.action_confirm()
        self.assertEqual((self.overdue.dunning_promise_amount, self.overdue.dunning_promise_residual),
                         (500.0, 1200.0), "the controller may agree a later date and a part")
        self.assertFalse(self.activities(), "the controller knows: no activity")
        action = self.overdue.action_dunning_dispute()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.write({"reason": "invoice_error", "note": "Mauvais taux de TVA"})
        wizard.action_confirm()
        self.assertEqual((self.overdue.dunning_dispute_reason, self.overdue.dunning_dispute_note),
                         ("invoice_error", "Mauvais taux de TVA"))
