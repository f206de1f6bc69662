import hashlib
import hmac
import json
import logging
from datetime import timedelta
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric import rsa

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .pay_by_bank_common import PDF_REQUEST_TIMEOUT
from .pay_by_bank_services_common import PayByBankServiceCommon

WEBHOOK_LOGGERS = (
    "odoo.addons.dunning_pis.controllers.pay_by_bank", "odoo.addons.payment.models.payment_transaction",
    "odoo.addons.dunning_pis.models.payment_transaction", "odoo.addons.payment.logging",
    "odoo.addons.dunning_pis.models.payment_provider", "odoo.addons.payment.models.payment_provider",
    "odoo.addons.dunning_pis.models.pay_by_bank_service_debits",
)


class ServiceFlows:
    """Invoice, reminder, plan → the service's pages → its webhook → read back → reconciled, for one service."""

    def test_a_payer_pays_an_invoice_end_to_end(self):
        invoice = self.invoice(1200.0)
        approval_url = self.start_payment(invoice)
        tx = self.transaction(invoice)
        self.assertEqual((tx.state, tx.pay_by_bank_status, tx.amount), ("draft", "RCVD", 1200.0))
        self.assertFalse(tx.pay_by_bank_aspsp_id, "the service chose the payer's bank")
        back = self.approve(approval_url)
        self.assertIn("the payment is settled", back.text)
        self.assertPaid(invoice)
        self.assertEqual(tx.pay_by_bank_status, "ACSC")
        self.assertTrue(self.webhook_answers(), "the service's webhook reached Odoo")
        self.assertTrue(all(code == 200 for code in self.webhook_answers()), self.webhook_answers())

    def test_a_reminders_link_pays_the_reminded_invoice(self):
        self.company.dunning_default_policy_id = self.env.ref("dunning_pis.policy_france")
        invoice = self.invoice(200.0, due="2026-10-10")
        run = self.env["dunning.run"].sudo().create({"company_id": self.company.id, "date": "2026-10-12"})
        run.action_run()
        link = run.communication_ids.filtered(lambda c: c.partner_id == self.customer).line_ids.pay_url
        self.assertEqual(link, invoice.pay_by_bank_url)
        self.approve(self.start_payment(invoice, url=link))
        self.assertPaid(invoice)

    def test_a_reminders_total_is_paid_through_the_service_under_the_reminders_reference(self):
        """200 € and 300 € claimed, a 50 € credit note: the reminder's button asks the service for 450 €, which
        the payer's statement names by the reminder, and its settlement pays both invoices and the credit note."""
        self.company.dunning_default_policy_id = self.env.ref("dunning_pis.policy_france")
        first, second = self.invoice(200.0, due="2026-10-10"), self.invoice(300.0, due="2026-10-05")
        credit_note = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": self.customer.id, "invoice_date": "2026-10-02",
            "invoice_line_ids": [(0, 0, {"name": "Avoir", "quantity": 1, "price_unit": 50.0, "tax_ids": False})],
        })
        credit_note.action_post()
        run = self.env["dunning.run"].sudo().create({"company_id": self.company.id, "date": "2026-10-12"})
        run.action_run()
        communication = run.communication_ids.filtered(lambda c: c.partner_id == self.customer)
        self.assertIn("The invoices are marked paid", self.url_open(communication._pay_total_url()).text)
        approval_url = self.start_payment(None, url=communication._pay_total_url())
        tx = self.transaction(first)
        self.assertEqual(tx, self.transaction(second))
        self.assertEqual((tx.amount, tx.reference), (450.0, communication.name))
        self.assertEqual(self.requested(tx), (Decimal("450.00"), communication.name))
        self.approve(approval_url)
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        for move in (first, second, credit_note):
            self.assertIn(move.payment_state, ("paid", "in_payment", "reversed"), move.name)
            self.assertTrue(move.currency_id.is_zero(move.amount_residual), move.name)
        self.assertFalse(communication._pay_total_url(), "nothing left to pay: no button")

    def test_a_single_invoice_is_named_by_its_payment_reference(self):
        invoice = self.invoice(120.0)
        self.assertIn("The invoice is marked paid", self.url_open(invoice.pay_by_bank_url).text)
        self.start_payment(invoice)
        self.assertEqual(self.requested(self.transaction(invoice)), (Decimal("120.00"), invoice.payment_reference))

    def test_the_early_discount_is_asked_of_the_service_in_its_window_only(self):
        """2 % within 10 days of 1000: 980 asked and the invoice paid, the 20 booked as the discount; the
        same invoice dated 15 days ago: the full 1000."""
        invoice = self.discounted_invoice()
        self.approve(self.start_payment(invoice))
        tx = self.transaction(invoice)
        self.assertEqual(self.requested(tx)[0], Decimal("980.00"))
        self.assertPaid(invoice)
        self.assertEqual(tx.payment_id.amount, 980.0)
        granted = self.env["dunning.early.discount.report"].search([("invoice_id", "=", invoice.id)])
        self.assertEqual(granted.amount, 20.0)
        late = self.discounted_invoice(invoice_date=fields.Date.context_today(self.env.user) - timedelta(days=15))
        self.start_payment(late)
        self.assertEqual(self.requested(self.transaction(late))[0], Decimal("1000.00"), "the window has closed")

    def test_a_plans_first_installment_is_paid_through_the_service(self):
        self.pay_first_installment()

    def pay_first_installment(self):
        plan, invoice = self.accepted_plan(900.0)
        answer = self.url_open(f"/my/installment_plans/{plan.id}/pay_by_bank",
                               data={"csrf_token": self.plan_csrf(plan), "access_token": plan.access_token},
                               allow_redirects=False)
        self.assertEqual(answer.status_code, 303)
        self.assertTrue(answer.headers["Location"].startswith(self.sandbox.url))
        self.approve(answer.headers["Location"])
        self.env.invalidate_all()
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("partial", 600.0))
        self.assertEqual(plan.installment_ids.mapped("state")[0], "paid")
        return plan, invoice

    def test_cancelled_at_the_service_leaves_the_invoice_open(self):
        invoice = self.invoice(300.0)
        back = self.approve(self.start_payment(invoice), decision="refuse")
        tx = self.transaction(invoice)
        self.assertIn(tx.state, ("cancel", "error"))
        self.assertIn("nothing was paid", back.text)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_the_same_webhook_a_hundred_times_pays_once(self):
        self.sandbox.script("silent")
        invoice = self.invoice(640.0)
        body, headers = self.signed_webhook(self.approve_at_the_service(invoice))
        answers = {self.post_webhook(body, headers).status_code for _index in range(100)}
        self.assertEqual(answers, {200})
        self.assertPaid(invoice)
        self.assertEqual(len(self.env["account.payment"].search([("partner_id", "=", self.customer.id),
                                                                 ("amount", "=", 640.0)])), 1)

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_forged_missing_stale_and_non_ascii_signatures_are_refused_and_change_nothing(self):
        self.sandbox.script("silent")
        invoice = self.invoice(410.0)
        tx = self.approve_at_the_service(invoice)
        reads = self.status_reads()
        for label, (body, headers) in self.bad_webhooks(tx).items():
            answer = self.post_webhook(body, headers)
            self.assertTrue(400 <= answer.status_code < 500, f"{label}: {answer.status_code}")
        self.assertEqual(self.status_reads(), reads, "nothing was read for a webhook that does not hold")
        tx.invalidate_recordset()
        self.assertEqual((tx.state, invoice.payment_state), ("draft", "not_paid"))

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_the_service_down_tells_the_payer_and_nothing_is_sent_twice(self):
        self.sandbox.broken = "down"
        invoice = self.invoice(150.0)
        page = self.url_open(invoice.pay_by_bank_url)
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        answer = self.url_open(invoice.pay_by_bank_url, data={"csrf_token": csrf})
        self.assertEqual(answer.status_code, 200)
        self.assertIn("could not start the payment", answer.text)
        self.assertEqual(self.transaction(invoice).state, "error")

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_garbage_then_a_good_answer_the_poll_goes_on_with_the_others(self):
        self.sandbox.script("silent", "silent")
        first, second = self.invoice(210.0), self.invoice(220.0)
        self.approve_at_the_service(first)
        self.approve_at_the_service(second)
        self.sandbox.broken = "garbage"
        self.env["payment.transaction"].sudo()._cron_pay_by_bank_poll()
        self.env.invalidate_all()
        self.assertEqual({self.transaction(invoice).state for invoice in (first, second)}, {"error"})
        self.assertEqual(first.payment_state, "not_paid")
        self.sandbox.broken = None
        self.env["payment.transaction"].search([("id", "in", (first | second).transaction_ids.ids)]).write(
            {"pay_by_bank_read_at": False})
        self.env["payment.transaction"].sudo()._cron_pay_by_bank_poll()
        self.assertPaid(first)
        self.assertPaid(second)

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_test_connection_says_what_works_and_what_is_wrong(self):
        good = self.provider.action_pay_by_bank_test_connection()["params"]
        self.assertEqual(good["type"], "success", good["message"])
        self.assertIn("works", good["message"])
        self.assertIn(self.provider.pay_by_bank_webhook_url, good["message"])
        self.break_credentials()
        bad = self.provider.action_pay_by_bank_test_connection()["params"]
        self.assertEqual(bad["type"], "danger")
        self.assertIn("wrong", bad["message"])

    def test_keys_are_masked_and_for_system_administrators_only(self):
        accountant = self.env["res.users"].create({
            "name": "Accountant", "login": f"acc_{self.service}",
            "group_ids": [(6, 0, [self.env.ref("account.group_account_manager").id])],
        })
        provider_fields = self.provider.with_user(accountant).fields_get()
        for secret in self.secret_fields:
            self.assertNotIn(secret, provider_fields)
        self.assertIn("pay_by_bank_webhook_url", provider_fields)
        form = self.provider.get_views([(False, "form")])["views"]["form"]["arch"]
        for secret in self.password_fields:
            self.assertRegex(form, rf'name="{secret}"[^>]*password="True"')
        self.assertNotIn('name="pay_by_bank_fintecture_private_key"', form, "no private key in clear on screen")
        if self.service == "fintecture":
            summary = self.provider.pay_by_bank_fintecture_private_key_summary
            self.assertRegex(summary, r"^RSA 2048-bit key, fingerprint \w{4}…\w{4}$")
            self.assertNotIn("PRIVATE", summary)

    # helpers

    def accepted_plan(self, amount):
        self.company.dunning_sepa_creditor_identifier = "FR72ZZZ123456"
        self.company_data["default_journal_bank"].bank_account_id = self.company.partner_id.bank_ids[:1]
        today = fields.Date.context_today(self.env.user)
        invoice = self.invoice(amount, due=today - timedelta(days=40))
        wizard = self.env["dunning.installment.plan.wizard"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"count": 3, "interval": 30, "interval_unit": "days"})
        plan = self.env["dunning.installment.plan"].browse(wizard.action_create_plan()["res_id"])
        plan.action_propose()
        self.url_open(plan.get_portal_url(), data={"csrf_token": self.plan_csrf(plan), "signer": "Marie Boulanger",
                                                   "iban": "FR76 3000 4000 0312 3456 7890 143", "bic": "",
                                                   "consent": "1"}, timeout=PDF_REQUEST_TIMEOUT)
        plan.invalidate_recordset()
        self.assertEqual(plan.state, "active")
        return plan, invoice

    def plan_csrf(self, plan):
        page = self.url_open(plan.get_portal_url())
        return page.text.split('name="csrf_token" value="')[1].split('"')[0]


@tagged("post_install", "-at_install")
class TestPayByBankFintecture(ServiceFlows, PayByBankServiceCommon):
    allow_inherited_tests_method = True
    service = "fintecture"
    secret_fields = ("pay_by_bank_fintecture_app_secret", "pay_by_bank_fintecture_private_key",
                     "pay_by_bank_fintecture_private_key_new", "pay_by_bank_fintecture_app_id")
    password_fields = ("pay_by_bank_fintecture_app_secret",)

    def webhook_answers(self):
        return [code for _session, _status, answers in self.sandbox.webhooks for code in answers]

    def status_reads(self):
        return sum(1 for call in self.sandbox.calls if call[0] == "GET" and "/pis/v2/payments/" in call[1])

    def signed_webhook(self, tx, **options):
        headers, body = self.sandbox.webhook_request(tx.provider_reference, **options)
        return body, headers

    def bad_webhooks(self, tx):
        body, headers = self.signed_webhook(tx)
        forged_body, forged = self.signed_webhook(tx, public_key=rsa.generate_private_key(
            public_exponent=65537, key_size=2048).public_key())
        stale_body, stale = self.signed_webhook(tx, date=(fields.Datetime.now() - timedelta(hours=1)).timestamp())
        return {
            "forged": (forged_body, forged),
            "missing": (body, {key: value for key, value in headers.items() if key != "Signature"}),
            "stale": (stale_body, stale),
            "non-ASCII": (body, {**headers, "Signature": headers["Signature"].replace("keyId", "kéyId")
                                 .encode("utf-8").decode("latin-1")}),
            "tampered": (body.replace(b"completed", b"received_"), headers),
        }

    def break_credentials(self):
        self.provider.pay_by_bank_fintecture_app_secret = "not-the-secret"

    def requested(self, tx):
        session = self.sandbox.sessions[tx.provider_reference]
        return Decimal(session["amount"]), session["communication"]

    def test_a_short_transfer_puts_the_payment_in_error_and_reconciles_nothing(self):
        self.sandbox.script("short")
        invoice = self.invoice(500.0)
        self.approve(self.start_payment(invoice))
        tx = self.transaction(invoice)
        self.assertEqual(tx.state, "error")
        self.assertIn("amount", tx.state_message)
        self.assertFalse(tx.payment_id)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_a_transfer_on_its_way_is_money_on_its_way_then_settled_by_the_poll(self):
        self.sandbox.script("pending")
        invoice = self.invoice(450.0)
        back = self.approve(self.start_payment(invoice))
        self.assertIn("is making the transfer", back.text)
        tx = self.transaction(invoice)
        self.assertEqual((tx.state, tx.pay_by_bank_status, tx.pay_by_bank_service_status),
                         ("pending", "ACSP", "payment_created / processing"))
        items = [{"id": line.id, "move_id": invoice.id, "residual": Decimal("450.00"), "due_date": line.date_maturity}
                 for line in invoice.line_ids.filtered(lambda aml: aml.account_type == "asset_receivable")]
        on_its_way = self.env["account.move.line"]._dunning_money_on_its_way(
            self.company, fields.Date.context_today(self.env.user), items)
        self.assertEqual(sum(on_its_way.values()), Decimal("450.00"), "a dunning run does not claim it")
        self.sandbox.settle(tx.provider_reference, notify=False)
        tx.pay_by_bank_read_at = False
        self.env["payment.transaction"].sudo()._cron_pay_by_bank_poll()
        self.assertPaid(invoice)

    def test_a_request_to_pay_link_from_the_invoice_dialog_is_paid_and_reconciled(self):
        invoice = self.invoice(330.0)
        wizard = self.env["dunning.pay.by.bank.link"].browse(invoice.action_pay_by_bank()["res_id"])
        self.assertTrue(wizard.can_request_to_pay)
        wizard.action_request_to_pay()
        self.assertTrue(wizard.service_link.startswith(self.sandbox.url + "/pay/"))
        self.assertTrue(wizard.service_qr_code)
        tx = self.transaction(invoice)
        session = self.sandbox.sessions[tx.provider_reference]
        self.assertEqual((session["kind"], session["amount"], tx.pay_by_bank_service_status),
                         ("request-to-pay", "330.00", "payment_waiting"))
        call = next(call for call in self.sandbox.calls if "/request-to-pay" in call[1])
        self.assertEqual(call[2]["x-language"], "en")
        self.assertIn(b'"expire":604800', call[3])
        with self.assertRaises(UserError):
            wizard.action_request_to_pay()  # one payment on its way at a time
        self.env.flush_all()
        self.approve(wizard.service_link)
        self.assertPaid(invoice)

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_a_webhook_about_a_session_odoo_does_not_know_is_acknowledged(self):
        invoice = self.invoice(100.0)
        self.start_payment(invoice)
        tx = self.transaction(invoice)
        body, headers = self.signed_webhook(tx)
        tx.provider_reference = "someone-elses-session"
        with self.assertLogs("odoo.addons.dunning_pis.models.payment_provider", logging.INFO) as logs:
            self.assertEqual(self.post_webhook(body, headers).status_code, 200)
        self.assertIn("none of Odoo's", "\n".join(logs.output))


@tagged("post_install", "-at_install")
class TestPayByBankGoCardless(ServiceFlows, PayByBankServiceCommon):
    allow_inherited_tests_method = True
    service = "gocardless"
    secret_fields = ("pay_by_bank_gocardless_access_token", "pay_by_bank_gocardless_webhook_secret")
    password_fields = secret_fields

    def webhook_answers(self):
        return [code for _events, answers in self.sandbox.webhooks for code in answers]

    def status_reads(self):
        return sum(1 for call in self.sandbox.calls if call[0] == "GET")

    def events_of(self, tx):
        request = self.sandbox.resources["billing_requests"][tx.provider_reference]
        return [event for event in self.sandbox.events
                if request["id"] == event["links"].get("billing_request")
                or event["links"].get("payment") == request["links"].get("payment_request_payment")]

    def signed_webhook(self, tx, secret=None):
        body = json.dumps({"events": self.events_of(tx)}).encode()
        signature = hmac.new((secret or "sandbox-webhook-secret").encode(), body, hashlib.sha256).hexdigest()
        return body, {"Content-Type": "application/json", "Webhook-Signature": signature}

    def bad_webhooks(self, tx):
        body, headers = self.signed_webhook(tx)
        forged_body, forged = self.signed_webhook(tx, secret="another-secret")
        return {
            "forged": (forged_body, forged),
            "missing": (body, {"Content-Type": "application/json"}),
            "stale replay of another body": (body.replace(b"confirmed", b"cancelled"), headers),
            "non-ASCII": (body, {**headers, "Webhook-Signature": ("é" + headers["Webhook-Signature"][1:])
                                 .encode("utf-8").decode("latin-1")}),
            "not hex": (body, {**headers, "Webhook-Signature": "z" * 64}),
        }

    def requested(self, tx):
        payment_request = self.sandbox.resources["billing_requests"][tx.provider_reference]["payment_request"]
        return Decimal(payment_request["amount"]) / 100, payment_request["description"]

    def break_credentials(self):
        self.provider.pay_by_bank_gocardless_access_token = "not-the-token"

    def test_an_amount_gocardless_reports_otherwise_puts_the_payment_in_error(self):
        self.sandbox.script("silent")
        invoice = self.invoice(500.0)
        tx = self.approve_at_the_service(invoice)
        request = self.sandbox.resources["billing_requests"][tx.provider_reference]
        self.sandbox.resources["payments"][request["links"]["payment_request_payment"]]["amount"] = 40000
        body, headers = self.signed_webhook(tx)
        self.assertEqual(self.post_webhook(body, headers).status_code, 200)
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "error")
        tx.pay_by_bank_read_at = False
        self.env["payment.transaction"].sudo()._cron_pay_by_bank_poll()  # read again: still not settled
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "error")
        self.assertFalse(tx.payment_id)
        self.assertEqual(invoice.payment_state, "not_paid")

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_unknown_events_are_acknowledged_and_logged(self):
        event = self.sandbox._event("payouts", "paid", {"payout": "PO123"})
        orphan = self.sandbox._event("payments", "confirmed", {"payment": "PM-NOT-OURS"})
        with self.allow_requests(all_requests=True):
            answers = self.sandbox.send_webhook([event, orphan])
        self.assertEqual(answers, [200])
        logged = self.env["dunning.pay.by.bank.event"].sudo().search([("event_id", "in", (event["id"], orphan["id"]))])
        self.assertEqual(set(logged.mapped("outcome")), {"ignored"})

    def test_a_plans_next_installments_are_collected_under_its_mandate(self):
        plan, invoice = self.pay_first_installment()
        # The mandate authorised with the first payment: GoCardless collects the next installments.
        mandate = plan.mandate_id
        self.assertTrue(mandate.service_reference.startswith("MD"))
        self.assertEqual(mandate.service_provider_id, self.provider)
        request = next(iter(self.sandbox.resources["billing_requests"].values()))
        self.assertEqual(request["mandate_request"]["scheme"], "sepa_core")
        second, third = plan.installment_ids.sorted("sequence")[1:]
        for line in (second, third):
            payment = self.sandbox.resources["payments"][line.service_payment_reference]
            self.assertEqual((payment["amount"], payment["links"]["mandate"], payment["charge_date"]),
                             (30000, mandate.service_reference, str(line.due_date)))
        batch = self.env["dunning.direct.debit.batch"].create({
            "collection_date": third.due_date, "journal_id": self.company_data["default_journal_bank"].id})
        batch.action_gather()
        self.assertFalse(batch.installment_ids, "no pain.008 file for what GoCardless collects")
        # Second installment: submitted (money on its way), then confirmed → booked and reconciled.
        with self.allow_requests(all_requests=True):
            self.sandbox.payment_event(second.service_payment_reference, "submitted")
        self.env.invalidate_all()
        self.assertEqual((second.debit_state, second.state), ("exported", "in_payment"))
        with self.allow_requests(all_requests=True):
            self.sandbox.payment_event(second.service_payment_reference, "confirmed")
        self.env.invalidate_all()
        self.assertEqual((second.debit_state, second.state, invoice.amount_residual), ("collected", "paid", 300.0))
        # Third: fails (the returns of direct-debit files: due again), asked anew, fails again → plan broken.
        self.company.dunning_plan_break_rejections = 2
        with self.allow_requests(all_requests=True):
            self.sandbox.payment_event(third.service_payment_reference, "failed", reason_code="AM04")
        self.env.invalidate_all()
        self.assertEqual(third.debit_state, "rejected")
        self.assertEqual(third.return_ids.reason_code, "AM04")
        self.assertEqual(invoice.amount_residual, 300.0)
        plan._collect_through_service()
        self.assertTrue(third.service_payment_reference, "asked again under the mandate")
        self.env.flush_all()  # what the webhook's request reads
        with self.allow_requests(all_requests=True):
            self.sandbox.payment_event(third.service_payment_reference, "submitted", notify=False)
            self.sandbox.payment_event(third.service_payment_reference, "charged_back")
        self.env.invalidate_all()
        self.assertEqual(plan.state, "broken")
        self.assertTrue(invoice._dunning_is_open(third.due_date + timedelta(days=1)), "dunning resumes")

    def test_a_cancelled_mandate_asks_the_customer_for_a_new_one(self):
        plan, _invoice = self.pay_first_installment()
        with self.allow_requests(all_requests=True):
            self.sandbox.mandate_event(plan.mandate_id.service_reference, "cancelled")
        self.env.invalidate_all()
        self.assertEqual(plan.mandate_id.state, "revoked")
        self.assertTrue(plan.mandate_requested_on)

    def test_a_payment_on_its_way_is_settled_by_the_poll(self):
        self.sandbox.script("pending")
        invoice = self.invoice(450.0)
        self.approve(self.start_payment(invoice))
        tx = self.transaction(invoice)
        self.assertEqual((tx.state, tx.pay_by_bank_status, tx.pay_by_bank_service_status),
                         ("pending", "ACSP", "submitted"))
        self.sandbox.payment_event(tx.pay_by_bank_service_payment, "confirmed", notify=False)
        tx.pay_by_bank_read_at = False
        self.env["payment.transaction"].sudo()._cron_pay_by_bank_poll()
        self.assertPaid(invoice)
