import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..receivables.dunning_plan import OpenInvoice, plan
from .company_language import in_company_language
from .dunning_communication import ACTIVE_STATES, OPEN_PAYMENT_STATES

BATCH_SIZE = 1000
_logger = logging.getLogger(__name__)


class DunningRun(models.Model):
    """A dunning run for a date: finds what is due, groups it per customer, queues or holds it.

    Runs are idempotent (what is already reminded at a level is never reminded again at it) and each
    one first writes the company's last run date, so that two runs at once cannot interleave: the
    second one fails to serialise and is retried by Odoo, then finds nothing left to do.
    """

    _name = "dunning.run"
    _inherit = ["mail.thread"]
    _description = "Dunning run"
    _order = "date desc, id desc"

    name = fields.Char(readonly=True, copy=False, default=lambda self: self.env._("New"))
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    policy_ids = fields.Many2many(
        "dunning.policy", string="Policies", help="Empty: every policy.",
        domain="[('company_id', 'in', (company_id, False))]",
    )
    partner_ids = fields.Many2many("res.partner", string="Customers", help="Empty: every customer.")
    trigger = fields.Selection([("manual", "Manual"), ("cron", "Automatic")], default="manual", required=True,
                               readonly=True)
    state = fields.Selection([("draft", "Draft"), ("running", "Running"), ("done", "Done")], default="draft",
                             required=True, readonly=True, tracking=True)
    user_id = fields.Many2one("res.users", string="Started by", default=lambda self: self.env.user, readonly=True)
    communication_ids = fields.One2many("dunning.communication", "run_id", string="Communications")
    communication_count = fields.Integer(compute="_compute_counts")
    to_validate_count = fields.Integer(compute="_compute_counts")
    error_count = fields.Integer(compute="_compute_counts")
    letter_count = fields.Integer(compute="_compute_counts")

    @api.depends("communication_ids.state")
    def _compute_counts(self):
        groups = self.env["dunning.communication"]._read_group(
            [("run_id", "in", self.ids)], ["run_id", "state", "channel_letter"], ["__count"],
        )
        counts = defaultdict(lambda: defaultdict(int))
        for run, state, letter, count in groups:
            counts[run][state] += count
            counts[run]["letter"] += count if letter and state != "cancelled" else 0
        for run in self:
            run.communication_count = sum(v for k, v in counts[run].items() if k != "letter")
            run.to_validate_count = counts[run]["to_validate"]
            run.error_count = counts[run]["error"]
            run.letter_count = counts[run]["letter"]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("dunning.run") or self.env._("New")
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_done(self):
        if any(run.state != "draft" for run in self):
            raise UserError(self.env._(
                "Only draft dunning runs can be deleted: the others are the history of what was sent.",
            ))

    # Planning ---------------------------------------------------------------------------------

    def _policies(self):
        self.ensure_one()
        return self.policy_ids or self.env["dunning.policy"].search(
            [("company_id", "in", (self.company_id.id, False))],
        )

    def _open_invoices(self, policies):
        """The open invoices that a level of ``policies`` may concern on the run date, in one query."""
        self.ensure_one()
        company = self.company_id
        min_delay = min((level.delay_days for level in policies.level_ids), default=0)
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """
            SELECT move.id, move.commercial_partner_id, move.invoice_date_due, move.amount_residual_signed,
                   reached.level_id,
                   COALESCE((partner.dunning_policy_id ->> %(company_key)s)::int, %(default_policy)s)
              FROM account_move move
              JOIN res_partner partner ON partner.id = move.commercial_partner_id
         LEFT JOIN LATERAL (
                    SELECT line.level_id
                      FROM dunning_line line
                      JOIN dunning_level level ON level.id = line.level_id
                     WHERE line.invoice_id = move.id AND line.state IN %(active)s
                  ORDER BY level.sequence DESC, level.delay_days DESC
                     LIMIT 1
                   ) reached ON TRUE
             WHERE move.company_id = %(company)s
               AND move.move_type = 'out_invoice' AND move.state = 'posted'
               AND move.payment_state IN %(open)s
               AND move.invoice_date_due <= %(horizon)s
               AND move.dunning_disputed IS NOT TRUE
               AND (move.dunning_promise_date IS NULL OR move.dunning_promise_date < %(date)s)
               AND NOT EXISTS (
                    SELECT 1
                      FROM dunning_installment_plan_invoice_rel covered
                      JOIN dunning_installment_plan plan ON plan.id = covered.plan_id
                     WHERE covered.move_id = move.id AND plan.state = 'active'
                   )
               AND partner.dunning_blocked IS NOT TRUE
               AND partner.dunning_in_collection IS NOT TRUE
               %(partner_filter)s
            """,
            company_key=str(company.id),
            default_policy=company.dunning_default_policy_id.id or None,
            active=ACTIVE_STATES,
            company=company.id,
            open=OPEN_PAYMENT_STATES,
            horizon=self.date - timedelta(days=min_delay),
            date=self.date,
            partner_filter=SQL(
                "AND move.commercial_partner_id IN %s", tuple(self.partner_ids.commercial_partner_id.ids),
            ) if self.partner_ids else SQL(),
        ))
        return [
            OpenInvoice(move_id, partner_id, policy_id, due, amount, level_id)
            for move_id, partner_id, due, amount, level_id, policy_id in self.env.cr.fetchall()
            if policy_id in policies.ids
        ]

    def _last_contacts(self, customer_ids):
        self.env.cr.execute(SQL(
            """
            SELECT partner_id, MAX(date) FROM dunning_communication
             WHERE company_id = %s AND state IN %s AND partner_id = ANY(%s)
          GROUP BY partner_id
            """, self.company_id.id, ACTIVE_STATES, list(customer_ids),
        ))
        return dict(self.env.cr.fetchall())

    def _plan(self):
        """What this run sends: [(customer, level, policy, [(invoice, level, figures)])], without writing."""
        self.ensure_one()
        policies = self._policies()
        invoices = self._open_invoices(policies)
        reminders = plan(
            self.date,
            {policy.id: policy._as_plan_policy() for policy in policies},
            invoices,
            self._last_contacts({invoice.customer_id for invoice in invoices}),
        )
        Level, Move, Partner = self.env["dunning.level"], self.env["account.move"], self.env["res.partner"]
        by_flags = defaultdict(list)
        for reminder in reminders:
            top = Level.browse(reminder.level_id)
            by_flags[top.charge_indemnity, top.charge_interest].extend(invoice for invoice, _lv in reminder.lines)
        figures = {}
        for (indemnity, interest), invoice_ids in by_flags.items():
            for start in range(0, len(invoice_ids), BATCH_SIZE):
                moves = Move.browse(invoice_ids[start:start + BATCH_SIZE])
                figures.update(moves._dunning_figures(self.date, indemnity=indemnity, interest=interest))
        Policy = self.env["dunning.policy"]
        # Records browsed one by one share one prefetch set, so that reading them costs a query per field.
        partner_ids = [r.customer_id for r in reminders]
        move_ids = [move_id for r in reminders for move_id, _level_id in r.lines]
        return [
            (Partner.browse(r.customer_id).with_prefetch(partner_ids), Level.browse(r.level_id),
             Policy.browse(r.policy_id),
             [(Move.browse(move_id).with_prefetch(move_ids), Level.browse(level_id), figures[move_id])
              for move_id, level_id in r.lines])
            for r in reminders
        ]

    # Running ----------------------------------------------------------------------------------

    def _check_runnable(self):
        today = fields.Date.context_today(self)
        for run in self:
            if run.state == "done":
                raise UserError(self.env._("Dunning run %s is already done.", run.name))
            if run.date > today:
                raise ValidationError(self.env._("A dunning run cannot be dated in the future."))
            last = run.company_id.dunning_last_run_date
            if last and run.date < last:
                raise ValidationError(self.env._(
                    "A dunning run on %(date)s would come before the last run, on %(last)s: reminders cannot go "
                    "back in time.", date=run.date, last=last,
                ))

    def _lock_company(self):
        """Write the last run date first: a concurrent run then fails to serialise and is retried."""
        self.company_id.sudo().write({"dunning_last_run_date": self.date})
        self.company_id.flush_recordset(["dunning_last_run_date"])

    def action_run(self):
        self._check_runnable()
        for run in self:
            run._lock_company()
            run.state = "running"
            run._execute(run._plan())
            run.state = "done"
        return self.action_view_communications()

    def _execute(self, proposals, on_batch_done=None, batch_size=BATCH_SIZE):
        """Create the communications and their lines, batch by batch."""
        self.ensure_one()
        done = len(self.communication_ids)
        Communication = self.env["dunning.communication"].with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True, tracking_disable=True,
        )
        for start in range(0, len(proposals), batch_size):
            batch = proposals[start:start + batch_size]
            recipients = self.env["res.partner"].concat(*(partner for partner, *_rest in batch))._dunning_recipients()
            communications = Communication.create([
                self._communication_values(partner, recipients[partner], level, policy, done + start + index + 1)
                for index, (partner, level, policy, _lines) in enumerate(batch)
            ])
            self.env["dunning.line"]._insert_for_communications([
                (communication, move, line_level, figures)
                for communication, (_partner, _level, _policy, lines) in zip(communications, batch, strict=True)
                for move, line_level, figures in lines
            ])
            if on_batch_done:
                on_batch_done(len(batch), len(proposals) - start - len(batch))

    def _communication_values(self, partner, recipient, level, policy, number):
        return {
            "name": f"{self.name}/{number:05d}",
            "run_id": self.id,
            "company_id": self.company_id.id,
            "partner_id": partner.id,
            "contact_id": recipient.id,
            "policy_id": policy.id,
            "level_id": level.id,
            "tone": partner.dunning_tone or level.tone,
            "user_id": (partner.dunning_controller_id or self.company_id.dunning_default_controller_id).id,
            "state": "to_validate" if level.needs_validation else "queued",
            "date": self.date,
            "fee_amount": level.fee_amount,
            "channel_email": level.channel_email,
            "channel_letter": level.channel_letter,
            "channel_phone": level.channel_phone,
            "channel_collection": level.channel_collection,
            "registered_letter": level.registered_letter,
            # Totals start empty and are computed once, when the lines are inserted.
            "invoice_count": 0,
            "amount_due": 0.0,
            "charges_total": 0.0,
        }

    def action_preview(self):
        self.ensure_one()
        self._check_runnable()
        return self.env["dunning.run.preview"]._open(self, self._plan())

    def action_send(self):
        self.ensure_one()
        queued = self.communication_ids.filtered(lambda c: c.state == "queued")
        if not queued:
            raise UserError(self.env._("Nothing is waiting to be sent in this run."))
        queued._send()

    def action_print_letters(self):
        self.ensure_one()
        letters = self.communication_ids.filtered(lambda c: c.channel_letter and c.state != "cancelled")
        if not letters:
            raise UserError(self.env._("This run has no letters."))
        return self.env.ref("dunning_pis.action_report_dunning_letter").report_action(letters)

    def action_view_communications(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("dunning_pis.action_dunning_communication")
        action["domain"] = [("run_id", "in", self.ids)]
        action["context"] = {"create": False}
        return action

    @api.model
    def _cron_daily(self):
        """Each company with automatic dunning gets today's run, committed batch by batch; a run cut
        short by a crash is resumed by the next call, since what it already did is not proposed again.
        A company whose run fails keeps what it committed and is resumed by the next call too: the other
        companies get their run, and what is queued is sent."""
        cron = self.env["ir.cron"]
        for company in self.env["res.company"].sudo().search([("dunning_auto_run", "=", True)]):
            runs = in_company_language(self.sudo().with_company(company), company)
            run = runs.search([("company_id", "=", company.id), ("trigger", "=", "cron"), ("state", "!=", "done"),
                               ("date", "=", fields.Date.context_today(runs))], limit=1)
            run = run or runs.create({"company_id": company.id, "trigger": "cron"})
            cron._commit_progress()
            try:
                run._run_daily(cron)
            except Exception as error:  # one company's failure must not stop the others
                self.env.cr.rollback()
                self.env.transaction.reset()
                _logger.warning("Dunning run %s of %s not finished: %s", run.name, company.name, error)
                run.message_post(body=run.env._(
                    "Not finished: %(error)s. The next daily run resumes it.", error=error,
                ))
                cron._commit_progress()
        self.env["dunning.communication"].sudo()._cron_send_queued()

    def _run_daily(self, cron):
        self.ensure_one()
        try:
            self._check_runnable()
            proposals = self._plan()
        except (UserError, ValidationError) as error:
            _logger.warning("Dunning run %s of %s not done: %s", self.name, self.company_id.name, error)
            return
        self._lock_company()
        self.state = "running"
        cron._commit_progress(remaining=len(proposals))
        self._execute(proposals, on_batch_done=lambda count, remaining: cron._commit_progress(
            count, remaining=remaining))
        self.state = "done"
