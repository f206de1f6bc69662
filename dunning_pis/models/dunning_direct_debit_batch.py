from datetime import timedelta
from decimal import Decimal

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..direct_debit import mandates, pain008

REJECTION_REASONS = [
    ("AC04", "AC04 Account closed"),
    ("AC06", "AC06 Account blocked"),
    ("AM04", "AM04 Insufficient funds"),
    ("MD01", "MD01 No mandate"),
    ("MD06", "MD06 Refund requested by the customer"),
    ("MS02", "MS02 Refused by the customer"),
    ("SL01", "SL01 Specific service offered by the debtor's bank"),
]


class DunningDirectDebitBatch(models.Model):
    """The SEPA direct debits of installment plans due by a collection date: one pain.008 file for the bank,
    then the payments once the bank collected them."""

    _name = "dunning.direct.debit.batch"
    _description = "SEPA direct-debit batch"
    _inherit = ["mail.thread"]
    _order = "collection_date desc, id desc"

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: self.env._("New"))
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    journal_id = fields.Many2one(
        "account.journal", string="Bank journal", required=True, check_company=True,
        domain="[('type', '=', 'bank')]",
        default=lambda self: self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1),
        help="The account the debits are collected on; its IBAN is the creditor account of the file.",
    )
    collection_date = fields.Date(
        required=True, tracking=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=1),
        help="The day the customers' accounts are debited; SEPA Core banks need the file at least one business "
             "day before.",
    )
    installment_ids = fields.One2many("dunning.installment", "debit_batch_id", string="Debits", readonly=True)
    amount = fields.Monetary(compute="_compute_amount")
    state = fields.Selection(
        [("draft", "Draft"), ("exported", "File ready"), ("collected", "Collected")],
        default="draft", required=True, readonly=True, tracking=True,
    )
    file_id = fields.Many2one("ir.attachment", string="pain.008 file", readonly=True, copy=False)

    @api.depends("installment_ids.amount")
    def _compute_amount(self):
        for batch in self:
            batch.amount = sum(batch.installment_ids.mapped("amount"))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("dunning.direct.debit.batch") or "/"
        return super().create(vals_list)

    def action_gather(self):
        """Take the direct-debit installments of active plans that are due by the collection date."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("Only a draft batch gathers debits."))
        candidates = self.env["dunning.installment"].search([
            ("company_id", "=", self.company_id.id), ("plan_id.state", "=", "active"),
            ("method", "=", "sepa_direct_debit"), ("due_date", "<=", self.collection_date),
            ("debit_state", "in", ("none", "rejected")),
        ])
        candidates.filtered(lambda line: line.state != "paid").write({"debit_batch_id": self.id})

    def action_generate_file(self):
        """Build the pain.008.001.08 file and keep it on the batch; a file the schema refuses is never kept."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("The file of %(batch)s was already generated.", batch=self.name))
        if not self.journal_id.bank_account_id:
            raise UserError(self.env._("Bank journal %(journal)s has no bank account to collect the debits on.",
                                       journal=self.journal_id.display_name))
        message_id = self.name.replace("/", "-")
        try:
            content = pain008.build(self._pain008_batch(message_id))
        except pain008.DirectDebitError as error:
            raise UserError(self._problem_message(error)) from error
        self.file_id = self.env["ir.attachment"].create({
            "name": f"{message_id}.xml", "raw": content, "mimetype": "application/xml",
            "res_model": self._name, "res_id": self.id,
        })
        self.installment_ids.write({"debit_state": "exported"})
        self.state = "exported"
        self.message_post(body=self.env._("pain.008 file generated: %(count)s debits, %(amount)s.",
                                          count=len(self.installment_ids), amount=self.amount),
                          attachment_ids=self.file_id.ids)

    def _pain008_batch(self, message_id):
        company = self.company_id
        bank_account = self.journal_id.bank_account_id
        creditor = pain008.Creditor(
            name=company.name, iban=bank_account.acc_number or "", bic=bank_account.bank_bic or None,
            creditor_identifier=company.dunning_sepa_creditor_identifier or "",
            address=_postal_address(company.partner_id),
        )
        debits = []
        first_of_mandate = set()
        for line in self.installment_ids.sorted(lambda line: (line.due_date, line.plan_id.id, line.sequence)):
            mandate = line.plan_id.mandate_id
            if not mandate:
                raise UserError(self.env._("%(plan)s has no signed SEPA mandate.", plan=line.plan_id.name))
            collection_date = max(self.collection_date, line.due_date)
            if not mandates.is_usable(mandate.signature_date, mandate._presented_dates(), collection_date):
                raise UserError(self.env._(
                    "Mandate %(mandate)s of %(customer)s has lapsed: no debit was presented under it for "
                    "%(months)s months. The customer must sign a new one before %(plan)s can be collected.",
                    mandate=mandate.name, customer=mandate.partner_id.display_name, months=mandates.LAPSE_MONTHS,
                    plan=line.plan_id.name,
                ))
            first = not mandate.collected and mandate not in first_of_mandate
            first_of_mandate.add(mandate)
            debits.append(pain008.Debit(
                end_to_end_id=f"{message_id}-{line.id}"[-35:],
                amount=Decimal(str(line.amount)).quantize(Decimal("0.01")),
                mandate_id=mandate.name,
                mandate_signature_date=mandate.signature_date,
                sequence_type="FRST" if first else "RCUR",
                collection_date=collection_date,
                debtor_name=mandate.debtor_name or line.partner_id.name,
                debtor_iban=mandate.iban,
                debtor_bic=mandate.bic or None,
                debtor_address=_postal_address(line.partner_id),
                remittance_information=self.env._("%(plan)s installment %(sequence)s",
                                                  plan=line.plan_id.name, sequence=line.sequence),
            ))
        return pain008.Batch(
            message_id=message_id, created_at=fields.Datetime.now(), creditor=creditor, debits=tuple(debits),
            currency=self.currency_id.name,
        )

    def _problem_message(self, error):
        Problem = pain008.DebitProblem
        where = self._debit_of(error.item)
        messages = {
            Problem.EMPTY_BATCH: self.env._("There is no debit to collect in this batch."),
            Problem.NOT_EUR: self.env._("SEPA direct debits collect euros only."),
            Problem.INVALID_REFERENCE: self.env._("A reference of the file is not allowed by SEPA."),
            Problem.DUPLICATE_REFERENCE: self.env._("Two debits share the same reference."),
            Problem.MISSING_NAME: self.env._("A name is missing or has no Latin letters."),
            Problem.INVALID_IBAN: self.env._("An IBAN is not valid."),
            Problem.INVALID_BIC: self.env._("A BIC is not valid."),
            Problem.MISSING_BIC: self.env._("A BIC is needed for an account outside the European Economic Area."),
            Problem.MISSING_CREDITOR_IDENTIFIER: self.env._(
                "The company has no SEPA creditor identifier: set it in the accounting settings."),
            Problem.INVALID_CREDITOR_IDENTIFIER: self.env._("The company's SEPA creditor identifier is not valid."),
            Problem.NOT_POSITIVE: self.env._("A debit must be more than zero."),
            Problem.INVALID_AMOUNT: self.env._("A debit amount is not allowed by SEPA."),
            Problem.BAD_SEQUENCE_TYPE: self.env._("A debit has an unknown sequence type."),
            Problem.MISSING_SIGNATURE_DATE: self.env._("A mandate has no date of signature."),
            Problem.COLLECTION_DATE_PAST: self.env._("The collection date is in the past."),
            Problem.ADDRESS_NOT_STRUCTURED: self.env._(
                "An address lacks its town or country: SEPA refuses unstructured addresses since 15 November 2026."),
            Problem.ADDRESS_TOO_MANY_LINES: self.env._("An address has too many lines."),
            Problem.INVALID_COUNTRY: self.env._("An address has no valid country."),
            Problem.ADDRESS_REQUIRED: self.env._(
                "The debtor's address is needed for an account outside the European Economic Area."),
            Problem.SCHEMA_INVALID: self.env._("The file does not match the pain.008.001.08 schema: %(detail)s",
                                               detail=error.detail),
        }
        creditor_side = {Problem.MISSING_NAME, Problem.INVALID_IBAN, Problem.INVALID_BIC,
                         Problem.ADDRESS_NOT_STRUCTURED, Problem.ADDRESS_TOO_MANY_LINES, Problem.INVALID_COUNTRY}
        if not where and error.problem in creditor_side:
            where = self.env._("%(company)s, bank journal %(journal)s", company=self.company_id.name,
                               journal=self.journal_id.display_name)
        message = messages[error.problem]
        return f"{message} ({where})" if where else message

    def _debit_of(self, end_to_end_id):
        line = self.installment_ids.filtered(lambda line: end_to_end_id and end_to_end_id.endswith(f"-{line.id}"))
        return line and self.env._("%(customer)s, %(plan)s installment %(sequence)s", customer=line.partner_id.name,
                                   plan=line.plan_id.name, sequence=line.sequence)

    def action_collected(self):
        """The bank collected the file: one posted payment per debit, reconciled with its plan's invoices."""
        self.ensure_one()
        if self.state != "exported":
            raise UserError(self.env._("Only a batch whose file was generated can be marked as collected."))
        method_line = self.journal_id.inbound_payment_method_line_ids[:1]
        for line in self.installment_ids.filtered(lambda line: line.debit_state == "exported"):
            invoices = line.plan_id._open_invoices()
            payment = self.env["account.payment"].create({
                "payment_type": "inbound", "partner_type": "customer", "partner_id": line.partner_id.id,
                "amount": line.amount, "currency_id": line.currency_id.id, "journal_id": self.journal_id.id,
                "company_id": self.company_id.id, "payment_method_line_id": method_line.id,
                "date": self.collection_date, "memo": f"{self.name} {line.plan_id.name}/{line.sequence}",
                "invoice_ids": [Command.set(invoices.ids)],
            })
            payment.action_post()
            line.plan_id._reconcile_oldest_first(payment)
            line.write({"debit_state": "collected", "debit_payment_id": payment.id})
            line.plan_id.mandate_id.collected = True
        self.state = "collected"
        self.installment_ids.plan_id._watch(fields.Date.context_today(self))

    def action_open_file(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": f"/web/content/{self.file_id.id}?download=true",
                "target": "download"}


def _postal_address(partner):
    """A partner's address as SEPA wants it: structured, or at least its town and country."""
    if not partner.city and not partner.country_id:
        return None
    return pain008.PostalAddress(
        street=partner.street or None, postal_code=partner.zip or None, town=partner.city or None,
        country=partner.country_id.code or None,
        address_lines=tuple(line for line in (partner.street2,) if line),
    )
