import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..receivables.dunning_plan import OpenItem, plan
from ..receivables.late_charges import Regime
from .company_language import in_company_language
from .dunning_communication import ACTIVE_STATES
from .dunning_proposal import Proposal

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
    problem_note = fields.Text(string="Customers left out", readonly=True,
                               help="Customers this run could not remind, and why: mend them and run again.")
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

    def _dunning_customers(self, customer_ids):
        """{customer id: policy id} of the customers this run may remind: not "do not dun", not in collection,
        not in collective proceedings opened by the run date (L622-21), for this run's company; and with no
        reminder of theirs still waiting to be validated or sent, which is brought up to date when it goes."""
        if not customer_ids:
            return {}
        company = self.company_id
        Partner = self.env["res.partner"].with_company(company).with_context(active_test=False)
        customers = Partner.search([
            ("id", "in", list(customer_ids)), ("dunning_blocked", "=", False), ("dunning_in_collection", "=", False),
            "|", ("dunning_proceedings", "=", False), ("dunning_proceedings_date", ">", self.date),
        ])
        waiting = set(self.env["dunning.communication"].search([
            ("company_id", "=", company.id), ("partner_id", "in", customers.ids),
            ("state", "in", ("to_validate", "queued", "sending")),
        ]).partner_id.ids)
        return {customer.id: customer._dunning_policy(company).id
                for customer in customers if customer.id not in waiting}

    def _open_items(self, policies):
        """(positions, [OpenItem]): the open receivable items of the customers a level of ``policies`` may
        concern on the run date, each with what is still claimed on it net of credits and money on its way."""
        self.ensure_one()
        partner_ids = self.partner_ids.commercial_partner_id.ids if self.partner_ids else None
        positions = self.env["account.move.line"]._dunning_positions(self.company_id, self.date, partner_ids)
        policy_of = {customer: policy for customer, policy in self._dunning_customers(positions).items()
                     if policy in policies.ids}
        positions = {customer: positions[customer] for customer in policy_of}
        horizon = self.date - timedelta(days=min((level.delay_days for level in policies.level_ids), default=0))
        claimable = [item for position in positions.values() for item in position.items
                     if item["claimable"] and item["due_date"] <= horizon]
        reached = self.env["account.move.line"]._dunning_reached_levels([item["id"] for item in claimable])
        items = [
            OpenItem(item["id"], customer, policy_of[customer], item["due_date"],
                     float(positions[customer].claimed(item)), reached.get(item["id"]))
            for customer, position in positions.items() for item in position.items
            if item["claimable"] and item["due_date"] <= horizon
        ]
        return positions, items

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
        """What this run sends: [Proposal], with the figures of every line, without writing."""
        self.ensure_one()
        policies = self._policies()
        positions, items = self._open_items(policies)
        reminders = plan(
            self.date,
            {policy.id: policy._as_plan_policy() for policy in policies},
            items,
            self._last_contacts({item.customer_id for item in items}),
        )
        Level, Partner = self.env["dunning.level"], self.env["res.partner"].with_company(self.company_id)
        Policy = self.env["dunning.policy"]
        partner_ids = [reminder.customer_id for reminder in reminders]
        proposals = [
            Proposal(
                partner=Partner.browse(reminder.customer_id).with_prefetch(partner_ids),
                level=Level.browse(reminder.level_id), policy=Policy.browse(reminder.policy_id),
                position=positions[reminder.customer_id],
                escalations=dict(reminder.lines), listed=dict(reminder.listed),
            )
            for reminder in reminders
        ]
        problems = self._consumer_wording_problems(proposals)
        problems.update(self._compute_proposal_figures(
            [proposal for proposal in proposals if proposal.partner.id not in problems], self.date))
        return [proposal for proposal in proposals if proposal.partner.id not in problems], problems

    def _consumer_wording_problems(self, proposals):
        """{customer id: why not}: a consumer is never sent a business wording where it matters, a level that
        charges, writes or calls without a template of its own for consumers."""
        problems = {}
        for proposal in proposals:
            level = proposal.level
            if (proposal.partner._dunning_regime() is Regime.CONSUMER and level._charges()
                    and not level.template_consumer_id):
                problems[proposal.partner.id] = self.env._(
                    "Level “%(level)s” has no template for consumers: %(customer)s would get the business wording "
                    "(Code de commerce, recovery costs). Set its consumer template.",
                    level=level.name, customer=proposal.partner.display_name,
                )
        return problems

    @api.model
    def _compute_proposal_figures(self, proposals, on_date, exclude_lines=None):
        """Fill in the figures of each proposal's due items, a batch of customers at a time; return
        {customer id: why its figures cannot be computed} for those left without."""
        AccountMoveLine = self.env["account.move.line"]
        problems = {}
        for start in range(0, len(proposals), BATCH_SIZE):
            batch = proposals[start:start + BATCH_SIZE]
            item_ids = [item_id for proposal in batch for item_id in proposal.due_item_ids()]
            figures = AccountMoveLine.browse(item_ids).with_prefetch(item_ids)._dunning_figures(
                {proposal.partner.id: proposal.position for proposal in batch}, on_date,
                {proposal.partner.id: (proposal.level.charge_indemnity, proposal.level.charge_interest)
                 for proposal in batch},
                exclude_lines=exclude_lines, problems=problems,
            )
            for proposal in batch:
                if proposal.partner.id not in problems:
                    proposal.figures = {item_id: figures[item_id] for item_id in proposal.due_item_ids()}
        return problems

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
            proposals, problems = run._plan()
            run._report_problems(problems)
            run._execute(proposals)
            run.state = "done"
        return self.action_view_communications()

    def _report_problems(self, problems):
        """Customers a run leaves out because their data is wrong: kept on the run and told in its chatter, in
        the company's language, so that the others are reminded and someone mends these."""
        self.ensure_one()
        if not problems:
            self.problem_note = False
            return
        env = self.with_context(lang=self.company_id.partner_id.lang or self.env.lang).env
        customers = env["res.partner"].browse(problems)
        self.problem_note = "\n".join(problems[customer.id] for customer in customers.sorted("display_name"))
        self.message_post(body=Markup("%s<ul>%s</ul>") % (
            env._("%(count)s customers left out of this run:", count=len(problems)) if len(problems) != 1
            else env._("1 customer left out of this run:"),
            Markup().join(Markup("<li>%s</li>") % problems[customer.id] for customer in customers),
        ))

    def _execute(self, proposals, on_batch_done=None, batch_size=BATCH_SIZE):
        """Create the communications and their lines, batch by batch."""
        self.ensure_one()
        done = len(self.communication_ids)
        Communication = self.env["dunning.communication"].with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True, tracking_disable=True,
        )
        digits = {currency.id: currency.decimal_places
                  for currency in self.env["res.currency"].with_context(active_test=False).search([])}
        for start in range(0, len(proposals), batch_size):
            batch = proposals[start:start + batch_size]
            partners = self.env["res.partner"].concat(*(p.partner for p in batch))
            recipients = partners._dunning_recipients()
            last_sent = partners._dunning_last_sent(self.company_id)
            communications = Communication.create([
                self._communication_values(proposal, recipients[proposal.partner], done + start + index + 1)
                for index, proposal in enumerate(batch)
            ])
            self.env["dunning.line"]._insert_for_communications([
                row for communication, proposal in zip(communications, batch, strict=True)
                for row in proposal.rows(communication, digits)
            ])
            for communication, proposal in zip(communications, batch, strict=True):
                levels = proposal.level | self.env["dunning.level"].browse(filter(None, proposal.listed.values()))
                note = proposal.partner._dunning_level_note(
                    last_sent.get(proposal.partner.id), proposal.position,
                    levels.sorted(lambda level: (level.sequence, level.delay_days))[-1:])
                if note:
                    communication.message_post(body=note)
            if on_batch_done:
                on_batch_done(len(batch), len(proposals) - start - len(batch))

    def _communication_values(self, proposal, recipient, number):
        partner, level, policy = proposal.partner, proposal.level, proposal.policy
        regime = partner._dunning_regime()
        return {
            "name": f"{self.name}/{number:05d}",
            "run_id": self.id,
            "company_id": self.company_id.id,
            "partner_id": partner.id,
            "contact_id": recipient.id,
            "policy_id": policy.id,
            "level_id": level.id,
            "regime": regime.value,
            "tone": partner._dunning_tone(self.company_id) or level.tone,
            "user_id": (partner.dunning_controller_id or self.company_id.dunning_default_controller_id).id,
            "state": "to_validate" if level.needs_validation else "queued",
            "date": self.date,
            "fee_amount": level._fee_for(regime),
            "channel_email": level.channel_email,
            "channel_letter": level.channel_letter,
            "channel_phone": level.channel_phone,
            "channel_collection": level.channel_collection,
            "registered_letter": level.registered_letter,
            # Totals start empty and are computed once, when the lines are inserted.
            "invoice_count": 0,
            "amount_due": 0.0,
            "charges_total": 0.0,
            "earlier_charges_total": 0.0,
        }

    def action_preview(self):
        self.ensure_one()
        self._check_runnable()
        return self.env["dunning.run.preview"]._open(self, *self._plan())

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
            proposals, problems = self._plan()
        except (UserError, ValidationError) as error:
            _logger.warning("Dunning run %s of %s not done: %s", self.name, self.company_id.name, error)
            return
        self._report_problems(problems)
        self._lock_company()
        self.state = "running"
        cron._commit_progress(remaining=len(proposals))
        self._execute(proposals, on_batch_done=lambda count, remaining: cron._commit_progress(
            count, remaining=remaining))
        self.state = "done"
