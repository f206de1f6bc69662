from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, formatLang

from ..direct_debit import pain008
from ..direct_debit.latin import to_sepa_latin


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
    amount = fields.Monetary(compute="_compute_amount", help="What the file collects, or would collect if made now.")
    count = fields.Integer(string="Number of debits", compute="_compute_amount")
    state = fields.Selection(
        [("draft", "Draft"), ("exported", "File ready"), ("collected", "Collected")],
        default="draft", required=True, readonly=True, tracking=True,
    )
    file_id = fields.Many2one("ir.attachment", string="pain.008 file", readonly=True, copy=False)

    @api.depends("state", "installment_ids.debit_amount", "installment_ids.amount_due")
    def _compute_amount(self):
        for batch in self:
            field = "amount_due" if batch.state == "draft" else "debit_amount"
            batch.amount = sum(batch.installment_ids.mapped(field))
            batch.count = len(batch.installment_ids)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("dunning.direct.debit.batch") or "/"
        return super().create(vals_list)

    def action_gather(self):
        """Take the direct-debit installments of active plans that are due by the collection date, each with
        what it has left to pay now; the list then shows what changes until the file is made."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("Only a draft batch gathers debits."))
        candidates = self.env["dunning.installment"].search([
            ("company_id", "=", self.company_id.id), ("plan_id.state", "=", "active"),
            ("method", "=", "sepa_direct_debit"), ("due_date", "<=", self.collection_date),
            ("debit_state", "in", ("none", "rejected")),
            "|", ("debit_batch_id", "=", False), ("debit_state", "=", "rejected"),
            # Debits under a mandate a service (GoCardless) set up are collected by that service, not in a file.
            ("plan_id.mandate_id.service_reference", "=", False),
        ])
        for line in candidates.filtered(lambda line: line.state != "paid"):
            line.write({"debit_batch_id": self.id, "gathered_amount": line.amount_due})

    def action_generate_file(self):
        """Build the pain.008.001.08 file of the debits that may be collected, each for what its installment has
        left to pay now, and keep it on the batch.

        A debit that may not go (paid in full since gathered, mandate revoked, lapsed or failed, no valid
        pre-notification) leaves the batch, the batch's chatter says why, and what can be done is done: a new
        notice to the customer, a new mandate asked of them. A file the bank would refuse is never made and
        nothing is written: the batch is produced whole or not at all.
        """
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("The file of %(batch)s was already generated.", batch=self.name))
        if not self.journal_id.bank_account_id:
            raise UserError(self.env._("Bank journal %(journal)s has no bank account to collect the debits on.",
                                       journal=self.journal_id.display_name))
        left_out = self._leave_out_uncollectable()
        if not self.installment_ids:
            return self._left_out_notification(left_out)
        message_id = self.name.replace("/", "-")
        lines = self.installment_ids.sorted(lambda line: (line._collection_date(self.collection_date),
                                                          line.plan_id.id, line.sequence))
        for line in lines:
            line.write({"end_to_end_id": f"{message_id}-{line.id}"[-35:], "debit_amount": line.amount_due})
        try:
            content = pain008.build(self._pain008_batch(message_id, lines))
        except pain008.DirectDebitError as error:
            raise UserError(self._problem_message(error)) from error
        self.file_id = self.env["ir.attachment"].create({
            "name": f"{message_id}.xml", "raw": content, "mimetype": "application/xml",
            "res_model": self._name, "res_id": self.id,
        })
        lines.write({"debit_state": "exported"})
        self.state = "exported"
        amount = formatLang(self.env, self.amount, currency_obj=self.currency_id)
        self.message_post(body=self.env._("pain.008 file generated: %(count)s debits, %(amount)s.",
                                          count=len(lines), amount=amount) if len(lines) != 1
                          else self.env._("pain.008 file generated: 1 debit, %(amount)s.", amount=amount),
                          attachment_ids=self.file_id.ids)
        return self._left_out_notification(left_out) if left_out else True

    def _leave_out_uncollectable(self):
        """Take out of the batch the debits that may not be collected now; return [(installment, reason)].

        A debit whose only fault is its pre-notification gets a new one first (any change sends a new
        notice): it stays in the file if that notice covers the collection date, as when the amount dropped
        well ahead of it.
        """
        left_out, changed, today = [], [], fields.Date.context_today(self)
        for line in self.installment_ids:
            collection_date = line._collection_date(self.collection_date)
            issue = line._debit_issue(collection_date)
            notice_issue = issue and line.plan_id.state == "active" and not line.currency_id.is_zero(
                line.amount_due) and not line.plan_id.mandate_id._collect_issue(collection_date)
            if notice_issue:
                # The debit stays only if the new notice covers the same collection date.
                line.plan_id._send_prenotification(line, today)
                if line._debit_issue(collection_date):
                    issue = self.env._("%(reason)s A new notice was sent for %(date)s.", reason=issue,
                                       date=format_date(self.env, line.notice_date))
                else:
                    issue = False
            if not issue and line.currency_id.compare_amounts(line.amount_due, line.gathered_amount):
                changed.append(self.env._("%(where)s: %(gathered)s when gathered, %(amount)s now", where=line._where(),
                                          gathered=formatLang(self.env, line.gathered_amount,
                                                              currency_obj=self.currency_id),
                                          amount=formatLang(self.env, line.amount_due, currency_obj=self.currency_id)))
            if issue:
                left_out.append((line, issue))
        for line, issue in left_out:
            line.debit_batch_id = False
            plan = line.plan_id
            if plan.state == "active" and plan.mandate_id._collect_issue(line._collection_date(self.collection_date)):
                plan._ask_new_mandate(issue)
        if changed:
            self.message_post(body=self.env._("Changed since gathered: %(changes)s.", changes="; ".join(changed)))
        if left_out:
            self.message_post(body=self.env._("Left out of the file: %(debits)s.", debits="; ".join(
                self.env._("%(where)s: %(reason)s", where=line._where(), reason=issue) for line, issue in left_out)))
        return left_out

    def _left_out_notification(self, left_out):
        message = "\n".join(self.env._("%(where)s: %(reason)s", where=line._where(), reason=issue)
                            for line, issue in left_out) or self.env._("There is no debit to collect in this batch.")
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "title": self.env._("Debits left out of %(batch)s", batch=self.name), "message": message,
            "type": "warning", "sticky": True, "next": {"type": "ir.actions.client", "tag": "soft_reload"},
        }}

    def _pain008_batch(self, message_id, lines):
        company = self.company_id
        bank_account = self.journal_id.bank_account_id
        creditor = pain008.Creditor(
            name=company.name, iban=bank_account.acc_number or "", bic=bank_account.bank_bic or None,
            creditor_identifier=company.dunning_sepa_creditor_identifier or "",
            address=_postal_address(company.partner_id),
        )
        debits = []
        first_of_mandate = set()
        for line in lines:
            mandate = line.plan_id.mandate_id
            first = not mandate.collected and mandate not in first_of_mandate
            first_of_mandate.add(mandate)
            debits.append(pain008.Debit(
                end_to_end_id=line.end_to_end_id,
                amount=Decimal(str(line.debit_amount)).quantize(Decimal("0.01")),
                mandate_id=mandate.name,
                mandate_signature_date=mandate.signature_date,
                sequence_type="FRST" if first else "RCUR",
                collection_date=line._collection_date(self.collection_date),
                debtor_name=mandate.debtor_name or line.partner_id.name,
                debtor_iban=mandate.iban,
                debtor_bic=mandate.bic or None,
                debtor_address=_postal_address(line.partner_id),
                remittance_information=self._remittance(line),
            ))
        return pain008.Batch(
            message_id=message_id, created_at=fields.Datetime.now(), creditor=creditor, debits=tuple(debits),
            currency=self.currency_id.name,
        )

    def _paid_invoices(self, line):
        """The plan's invoices a debit of ``line.debit_amount`` settles, oldest due first, as it reconciles."""
        left, paid = line.debit_amount, self.env["account.move"]
        for invoice in line.plan_id._open_invoices():
            if line.currency_id.compare_amounts(left, 0) <= 0:
                break
            paid |= invoice
            left -= invoice.amount_residual
        return paid

    def _remittance(self, line):
        """The remittance information the customer reads on their statement: the invoices the debit pays, in
        their language, within the 140 characters of the EPC."""
        invoices = self._paid_invoices(line)
        env = self.with_context(lang=line.partner_id.lang or self.env.lang).env
        names = invoices.mapped("name")
        for shown in range(len(names), 0, -1):
            rest = len(names) - shown
            text = env._("Invoices %(invoices)s", invoices=", ".join(names[:shown])) if len(names) > 1 else \
                env._("Invoice %(invoice)s", invoice=names[0])
            if rest:
                text += f" +{rest}"
            if len(to_sepa_latin(text)) <= pain008.REMITTANCE_LENGTH:
                return text
        return env._("Installment %(sequence)s of plan %(plan)s", sequence=line.sequence, plan=line.plan_id.name)

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
        line = self.installment_ids.filtered(lambda line: end_to_end_id and line.end_to_end_id == end_to_end_id)
        return line and line._where()

    def action_collected(self):
        """The bank collected the file: each debit still on its way becomes a posted payment on the collection
        date, reconciled with its plan's invoices, oldest first."""
        self.ensure_one()
        if self.state != "exported":
            raise UserError(self.env._("Only a batch whose file was generated can be marked as collected."))
        self._collect(self.installment_ids.filtered(lambda line: line.debit_state == "exported"), self.collection_date)

    def _collect(self, lines, date):
        for line in lines:
            line._book_debit(self.journal_id, date, self._paid_invoices(line))
        self._close_if_done()
        lines.plan_id._watch(fields.Date.context_today(self))

    def _close_if_done(self):
        """A file all of whose debits were settled or returned is done."""
        for batch in self.filtered(lambda batch: batch.state == "exported"):
            if not batch.installment_ids.filtered(lambda line: line.debit_state == "exported"):
                batch.state = "collected"

    def action_import_report(self):
        return {"type": "ir.actions.act_window", "res_model": "dunning.direct.debit.report.import", "view_mode": "form",
                "target": "new", "name": self.env._("Import the bank's report"),
                "context": {"default_company_id": self.company_id.id}}

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
