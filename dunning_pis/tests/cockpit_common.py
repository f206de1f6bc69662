from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command

from odoo.addons.base.models.ir_mail_server import IrMail_Server

from .common import DunningCommon


class CockpitCommon(DunningCommon):
    """The dunning common ledger helpers, and what the cockpit needs besides: a second currency, payments by
    bank under way, credit notes that reverse an invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 1 EUR = 1.25 USD all year: amounts in USD are 0.8 of themselves in EUR, with no exchange difference.
        cls.usd = cls.setup_other_currency("USD", rates=[("2026-01-01", 1.25)])
        # A provider in test mode, so that Odoo gives its journal a payment method of its own; its bank is never
        # called here: the transactions below are put in the states the bank's answers lead to.
        cls.pay_by_bank = cls.env.ref("dunning_pis.payment_provider_pay_by_bank").sudo().copy({
            "company_id": cls.company.id, "state": "test",
        })

    @classmethod
    def customer(cls, name, **values):
        return cls.env["res.partner"].create({"name": name, "is_company": True, "email": "ap@example.com", **values})

    @classmethod
    def reversing_credit_note(cls, invoice, amount, on):
        """A credit note of ``amount`` that reverses ``invoice``, left open (matched with nothing)."""
        refund = cls._create_invoice(
            move_type="out_refund", partner_id=invoice.partner_id, invoice_date=on, reversed_entry_id=invoice.id,
            currency_id=invoice.currency_id, invoice_payment_term_id=False, post=True,
            invoice_line_ids=[Command.create({"name": "Returned", "quantity": 1, "price_unit": amount, "tax_ids": []})],
        )
        (invoice | refund).line_ids.remove_move_reconcile()
        return refund

    @classmethod
    def bank_transaction(cls, invoice, amount, reference, status=None):
        """A payment by bank of ``invoice``: pending at the payer's bank with ISO 20022 ``status``, else done and
        its payment posted and matched, as when the bank confirms it (dated today)."""
        transaction = cls.env["payment.transaction"].sudo().create({
            "provider_id": cls.pay_by_bank.id, "payment_method_id": cls.pay_by_bank.payment_method_ids[:1].id,
            "reference": reference, "operation": "online_redirect", "amount": amount,
            "currency_id": invoice.currency_id.id,
            "partner_id": invoice.partner_id.id, "invoice_ids": [Command.set(invoice.ids)],
        })
        if status:
            transaction._set_pending()
            transaction.pay_by_bank_status = status
        else:
            transaction._set_done()
            transaction._post_process()
        return transaction

    @classmethod
    def setup_direct_debits(cls):
        """What a company needs to collect direct debits: its creditor identifier and an IBAN on the bank journal."""
        cls.company.dunning_sepa_creditor_identifier = "FR72ZZZ123456"
        cls.company.partner_id.write({"street": "1 place Bellecour", "zip": "69002", "city": "Lyon",
                                      "country_id": cls.env.ref("base.fr").id})
        account = cls.env["res.partner.bank"].create({
            "acc_number": "FR76 3000 6000 0112 3456 7890 189", "partner_id": cls.company.partner_id.id,
        })
        cls.company_data["default_journal_bank"].bank_account_id = account

    @classmethod
    def active_plan(cls, invoices, first_date, count=3, first_method="manual", interval=30):
        """A plan over ``invoices`` accepted today with the customer's mandate: equal installments every
        ``interval`` days from ``first_date``, the first paid by ``first_method``, the next ones by direct debit."""
        wizard = cls.env["dunning.installment.plan.wizard"].with_context(
            active_model="account.move", active_ids=invoices.ids,
        ).create({"count": count, "first_date": first_date, "interval": interval, "interval_unit": "days",
                  "first_method": first_method, "other_method": "sepa_direct_debit"})
        plan = cls.env["dunning.installment.plan"].browse(wizard.action_create_plan()["res_id"])
        plan.partner_id.write({"street": "3 rue Neuve", "zip": "69001", "city": "Lyon",
                               "country_id": cls.env.ref("base.fr").id})
        plan.action_propose()
        plan._accept("Marie Boulanger", iban="FR7630004000031234567890143")
        return plan

    @classmethod
    def debit_file(cls, collection_date):
        """A batch of the direct debits due by ``collection_date``, its pain.008 file made: on their way."""
        batch = cls.env["dunning.direct.debit.batch"].create({
            "collection_date": collection_date, "journal_id": cls.company_data["default_journal_bank"].id,
        })
        batch.action_gather()
        batch.action_generate_file()
        return batch

    @classmethod
    def remind(cls, day, customers):
        """The reminders of a run on ``day`` for ``customers``, validated and delivered that day."""
        with freeze_time(day), patch.object(IrMail_Server, "_disable_send", return_value=False):
            communications = cls.run_dunning(cls, day, partner_ids=[Command.set(customers.ids)]).communication_ids
            communications.filtered(lambda c: c.state == "to_validate").action_validate()
            communications.action_send()
            cls.env["mail.mail"].sudo().search([("model", "=", "dunning.communication")]).send()
        return communications

    def controller_cards(self):
        """The company's dashboard as Claire, the credit controller, reads it, computed afresh."""
        self.env["dunning.dashboard"].invalidate_model()
        return self.env["dunning.dashboard"].with_user(self.controller).with_context(
            allowed_company_ids=self.company.ids).search([])

    def restrict_controllers(self, model, partner):
        """An integrator's rule on the report ``model``: the credit controllers read ``partner``'s rows only."""
        self.env["ir.rule"].create({
            "name": "Credit controllers: their customers", "model_id": self.env["ir.model"]._get_id(model),
            "groups": [Command.link(self.env.ref("dunning_pis.group_dunning_user").id)],
            "domain_force": f"[('partner_id', '=', {partner.id})]",
        })
