import base64

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import formatLang

from ..direct_debit import bank_reports


class DunningDirectDebitReportImport(models.TransientModel):
    """Import the bank's report on direct-debit files: a pain.002 status report (debits rejected before
    settlement) or a camt.054 notification (debits settled, debits returned after settlement).

    Debits are matched by end-to-end identifier. The file is validated against its ISO 20022 schema first;
    a file that does not pass, or that names a debit in a way that does not fit (another amount, a debit
    never sent), is refused whole and nothing is booked. A return already booked is not booked twice.
    """

    _name = "dunning.direct.debit.report.import"
    _description = "Import a bank report on direct debits"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    report_file = fields.Binary(string="Bank file", required=True, attachment=False)
    report_name = fields.Char(string="File name")
    summary = fields.Text(readonly=True)

    def action_import(self):
        self.ensure_one()
        content = base64.b64decode(self.report_file or b"")
        try:
            report = bank_reports.read(content)
        except bank_reports.ReportError as error:
            raise UserError(self._report_message(error)) from error
        summary = self._book(report)
        self.summary = summary
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "target": "new", "name": self.env._("Bank report imported")}

    def _report_message(self, error):
        Problem = bank_reports.ReportProblem
        return {
            Problem.NOT_XML: self.env._("%(file)s is not an XML file a bank sends.", file=self.report_name or ""),
            Problem.UNKNOWN_MESSAGE: self.env._(
                "%(file)s is not a pain.002.001.03, camt.054.001.02 or camt.054.001.08 report.",
                file=self.report_name or ""),
            Problem.SCHEMA_INVALID: self.env._("%(file)s does not match its ISO 20022 schema: %(detail)s",
                                               file=self.report_name or "", detail=error.detail),
            Problem.TOO_LARGE: self.env._("%(file)s is too large.", file=self.report_name or ""),
        }[error.problem]

    @api.model
    def _debits_by_reference(self, references):
        lines = self.env["dunning.installment"].search([
            ("company_id", "=", self.company_id.id), ("end_to_end_id", "in", list(references)),
        ])
        return {line.end_to_end_id: line for line in lines}

    def _book(self, report):
        """Check every item of ``report`` against the debits, then book them all; return the summary."""
        Return = self.env["dunning.direct.debit.return"]
        references = {item.end_to_end_id for item in (*report.returns, *report.settlements)}
        debits = self._debits_by_reference(references)
        batches = self.env["dunning.direct.debit.batch"].search([
            ("company_id", "=", self.company_id.id), ("state", "!=", "draft"),
            ("name", "in", [rejection.original_message_id for rejection in report.block_rejections]
             + [rejection.original_message_id.replace("-", "/") for rejection in report.block_rejections]),
        ])
        returns = list(report.returns)
        for rejection in report.block_rejections:
            batch = batches.filtered(lambda b, r=rejection: r.original_message_id in (b.name, b.name.replace("/", "-")))
            if not batch:
                raise UserError(self.env._("%(file)s rejects file %(message)s, which is no batch of %(company)s.",
                                           file=self.report_name or "", message=rejection.original_message_id,
                                           company=self.company_id.name))
            block = batch.installment_ids.filtered(lambda line: line.debit_state in ("exported", "collected"))
            returns += [bank_reports.Return(line.end_to_end_id, rejection.reason_code, rejection.date)
                        for line in block if line.end_to_end_id not in {item.end_to_end_id for item in returns}]
            debits.update({line.end_to_end_id: line for line in block})
        already = set(Return.search([("end_to_end_id", "in", [item.end_to_end_id for item in returns]),
                                     ("company_id", "=", self.company_id.id)]).mapped("end_to_end_id"))
        to_return, to_settle, skipped = [], [], []
        for item in returns:
            line = debits.get(item.end_to_end_id)
            if line is None:
                raise UserError(self.env._("%(file)s returns debit %(debit)s, which was never sent by %(company)s: "
                                           "nothing was booked.", file=self.report_name or "",
                                           debit=item.end_to_end_id, company=self.company_id.name))
            if item.end_to_end_id in already or line.debit_state not in ("exported", "collected"):
                skipped.append(line)
                continue
            self._check_amount(item, line)
            to_return.append((item, line))
        for item in report.settlements:
            line = debits.get(item.end_to_end_id)
            if line is None or line.debit_state != "exported":
                continue
            self._check_amount(item, line)
            if item.end_to_end_id not in {returned.end_to_end_id for returned, _line in to_return}:
                to_settle.append((item, line))
        for item, line in to_settle:
            line.debit_batch_id._collect(line, item.date)
        for item, line in to_return:
            line._record_return(item.reason_code, item.date, report.message, report=self.report_name)
        return self.env._(
            "%(file)s (%(message)s %(id)s): %(returned)s debits returned (%(amount)s), %(settled)s settled, "
            "%(skipped)s already booked.", file=self.report_name or "", message=report.message, id=report.message_id,
            returned=len(to_return), settled=len(to_settle), skipped=len(skipped),
            amount=formatLang(self.env, sum(line.debit_amount for _item, line in to_return),
                              currency_obj=self.company_id.currency_id),
        )

    def _check_amount(self, item, line):
        if item.amount is not None and line.currency_id.compare_amounts(float(item.amount), line.debit_amount):
            raise UserError(self.env._(
                "%(file)s gives %(amount)s for %(where)s, which was sent for %(sent)s: nothing was booked.",
                file=self.report_name or "", where=line._where(),
                amount=formatLang(self.env, float(item.amount), currency_obj=line.currency_id),
                sent=formatLang(self.env, line.debit_amount, currency_obj=line.currency_id),
            ))
