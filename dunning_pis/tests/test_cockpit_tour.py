import io
import json
from datetime import timedelta

import openpyxl

from odoo import Command, fields, http
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCockpitTour(HttpCase):
    """In a real browser: the credit controller's dashboard and the lists behind it; the customer's answer to
    a reminder; and the aged balance exported to a spreadsheet over HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        # The browser runs in UTC (Odoo sets its process's TZ, Chromium inherits it) and its pages ask for its
        # day: the admin who logs in, the public user and the test take UTC's too, so that all see one day at
        # any hour.
        cls.env = cls.env(context=dict(cls.env.context, tz="UTC"))
        cls.env.ref("base.user_admin").tz = "UTC"
        cls.env.ref("base.public_user").tz = "UTC"
        cls.today = fields.Date.context_today(cls.env.user)
        cls.customer = cls.env["res.partner"].create({
            "name": "Tour Customer SARL", "is_company": True, "email": "tour@example.com", "city": "Lyon",
        })

    def invoice(self, amount, due, partner=None):
        invoice = self.env["account.move"].with_company(self.company).create({
            "move_type": "out_invoice", "partner_id": (partner or self.customer).id,
            "invoice_date": due - timedelta(days=30), "invoice_date_due": due, "invoice_payment_term_id": False,
            "invoice_line_ids": [Command.create({"name": "Services", "price_unit": amount, "tax_ids": []})],
        })
        invoice.action_post()
        return invoice

    def test_the_dashboard_opens_the_lists_behind_its_figures(self):
        history = self.invoice(900.0, self.today - timedelta(days=150))
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=history.ids).create(
            {"payment_date": self.today - timedelta(days=90)})._create_payments()  # 60 days late: a bad payer
        self.invoice(1500.0, self.today - timedelta(days=100))
        self.invoice(700.0, self.today - timedelta(days=3))._dunning_record_promise(self.today)
        self.env["dunning.payment.behaviour"]._refresh(self.company)
        self.assertEqual(self.customer.with_company(self.company).trust, "bad")
        self.start_tour("/odoo/action-dunning_pis.action_dunning_dashboard", "dunning_pis_cockpit_tour",
                        login="admin")

    def test_a_customer_promises_then_another_disputes_from_the_invoice_page(self):
        promised, disputed = self.invoice(1200.0, self.today - timedelta(days=12)), \
            self.invoice(800.0, self.today - timedelta(days=5))
        promised.partner_id.with_company(self.company).dunning_controller_id = self.env.ref("base.user_admin")
        self.start_tour(f"/my/invoices/{promised.id}?access_token={promised._portal_ensure_token()}",
                        "dunning_pis_self_service_promise")
        self.assertEqual((promised.dunning_promise_date, promised.dunning_promise_amount),
                         (self.today + timedelta(days=7), 1200.0))
        self.assertIn("Virement programmé", promised.activity_ids.note or "")
        self.assertEqual(promised.activity_ids.user_id, self.env.ref("base.user_admin"))
        self.start_tour(disputed.dunning_self_service_url.replace(disputed.get_base_url(), ""),
                        "dunning_pis_self_service_dispute")
        self.assertEqual((disputed.dunning_disputed, disputed.dunning_dispute_reason, disputed.dunning_dispute_note),
                         (True, "not_received", "Marchandise jamais reçue."))

    def test_the_aged_balance_exports_to_a_spreadsheet(self):
        self.invoice(1500.0, self.today - timedelta(days=100))
        self.authenticate("admin", "admin")
        data = {
            "model": "dunning.aged.balance", "ids": False, "domain": [("partner_id", "=", self.customer.id)],
            "fields": [{"name": "partner_id", "label": "Customer", "type": "many2one"},
                       {"name": "bucket", "label": "Age", "type": "selection"},
                       {"name": "net_amount", "label": "Net balance", "type": "monetary"}],
            "groupby": ["partner_id"], "import_compat": False,
            "context": {"allowed_company_ids": self.company.ids},
        }
        answer = self.url_open("/web/export/xlsx", data={"data": json.dumps(data),
                                                         "csrf_token": http.Request.csrf_token(self)})
        self.assertEqual(answer.status_code, 200, answer.text[:500])
        self.assertEqual(answer.headers["Content-Type"],
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        self.assertEqual(rows[0], ["Customer", "Age", "Net balance"])
        self.assertEqual(rows, [["Customer", "Age", "Net balance"], ["Tour Customer SARL (1)", None, 1500],
                                ["Tour Customer SARL", "> 90 days", 1500]], "grouped by customer, as in the list")
