from odoo import Command

from .common import DunningCommon


class CockpitCommon(DunningCommon):
    """The dunning common ledger helpers, and what the cockpit needs besides: a second currency, payments by
    bank under way, credit notes that reverse an invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 1 EUR = 1.25 USD all year: amounts in USD are 0.8 of themselves in EUR, with no exchange difference.
        cls.usd = cls.setup_other_currency("USD", rates=[("2026-01-01", 1.25)])
        cls.pay_by_bank = cls.env.ref("dunning_pis.payment_provider_pay_by_bank").sudo().copy({
            "company_id": cls.company.id, "journal_id": cls.company_data["default_journal_bank"].id,
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
            "reference": reference, "amount": amount, "currency_id": invoice.currency_id.id,
            "partner_id": invoice.partner_id.id, "invoice_ids": [Command.set(invoice.ids)],
        })
        if status:
            transaction._set_pending()
            transaction.pay_by_bank_status = status
        else:
            transaction._set_done()
            transaction._post_process()
        return transaction
