from odoo import api, fields, models
from odoo.tools import SQL

from ..receivables.payment_behaviour import AGE_BUCKETS, CREDIT_BUCKET
from .dunning_communication import ACTIVE_STATES
from .dunning_level import TONES

BUCKETS = [
    ("0_not_due", "Not due"),
    ("1_30", "1–30 days"),
    ("31_60", "31–60 days"),
    ("61_90", "61–90 days"),
    ("91_over", "> 90 days"),
    (CREDIT_BUCKET, "Credits not used"),
]
ITEM_STATUSES = [
    ("claimable", "To collect"),
    ("disputed", "Disputed"),
    ("promised", "Promised"),
    ("plan", "Installment plan"),
    ("excluded", "No follow-up"),
    ("credit", "Credit"),
]
PROFILES = [("good", "Good Debtor"), ("normal", "Normal Debtor"), ("bad", "Bad Debtor")]


class DunningAgedBalance(models.Model):
    """The aged balance: every open item of the receivable accounts, net of the customer's credits, by age.

    It reads what dunning reads (``account.move.line._dunning_positions``): the credits of a customer are
    put against its claimable items the way the Code civil imputes them (1342-10: a credit note against the
    invoice it reverses first, then the debts due, those bearing charges first, the oldest first) and money
    on its way comes off the items it pays. The allocation is written in SQL so that 100,000 items are aged
    in a second; ``tests/test_cockpit_aged_balance.py`` proves it gives the figures of ``_dunning_positions``.
    What no claimable item takes of a credit is a row of its own, so the rows add up to the ledger.
    Amounts are in company currency, as of today (or the ``dunning_date`` of the context).
    """

    _name = "dunning.aged.balance"
    _inherit = ["dunning.ledger.report"]
    _description = "Aged balance"
    _auto = False
    _order = "company_id, partner_id, due_date, id"
    _rec_name = "move_id"
    _depends = {
        "account.move.line": ["amount_residual", "amount_residual_currency", "reconciled", "parent_state",
                              "date_maturity", "date", "no_followup", "partner_id", "company_id", "account_id"],
        "account.move": ["dunning_disputed", "dunning_promise_date", "dunning_charges_kind", "reversed_entry_id",
                         "dunning_dispute_reason"],
        "dunning.installment.plan": ["state"],
        "dunning.line": ["state", "escalation", "level_id", "move_line_id"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Company currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_line_id = fields.Many2one("account.move.line", string="Journal item", readonly=True)
    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    invoice_date = fields.Date(readonly=True)
    due_date = fields.Date(readonly=True, help="The due date of the item; the date of a credit.")
    days_late = fields.Integer(readonly=True, aggregator="max")
    bucket = fields.Selection(BUCKETS, string="Age", readonly=True, group_expand=True)
    status = fields.Selection(ITEM_STATUSES, readonly=True,
                              help="To collect: dunning claims it; the others wait or are left to someone.")
    item_currency_id = fields.Many2one("res.currency", string="Currency", readonly=True)
    amount_currency = fields.Monetary(string="Open in its currency", currency_field="item_currency_id",
                                      readonly=True, aggregator=None)
    amount_residual = fields.Monetary(string="Open", readonly=True,
                                      help="What the ledger says is open on the item; negative for a credit.")
    transit_amount = fields.Monetary(string="On its way", readonly=True,
                                     help="Payments by bank approved at the payer's bank and direct debits in a "
                                          "file, for this item.")
    credit_amount = fields.Monetary(
        string="Credits", readonly=True,
        help="On an item: the customer's credits put against it (negative). On a credit: what of it went to items.",
    )
    net_amount = fields.Monetary(
        string="Net balance", readonly=True,
        help="What is left to collect on the item once credits and money on its way are taken off; on a credit, "
             "what no item took of it.",
    )
    overdue_amount = fields.Monetary(string="Net overdue", readonly=True, help="The net balance of items past due.")
    controller_id = fields.Many2one("res.users", string="Credit controller", readonly=True)
    policy_id = fields.Many2one("dunning.policy", string="Dunning policy", readonly=True)
    level_id = fields.Many2one("dunning.level", string="Level reached", readonly=True)
    tone = fields.Selection(TONES, string="Dunning tone", readonly=True)
    trust = fields.Selection(PROFILES, string="Payer profile", readonly=True)
    dispute_reason = fields.Selection(
        lambda self: self.env["account.move"]._fields["dunning_dispute_reason"].selection, readonly=True,
    )

    @property
    def _table_query(self):
        return self._rows_sql(self.env.companies, self._on_date())

    def _on_date(self):
        return self.env.context.get("dunning_date") or fields.Date.context_today(self)

    # The allocation --------------------------------------------------------------------------

    @api.model
    def _items_sql(self, companies, on_date):
        """SQL of the open items (``kind`` 'item') and of the credits ('credit') of ``companies``' customers on
        ``on_date``: residual, money on its way, credits used and net, per receivable journal item."""
        transit = self.env["account.move.line"]._dunning_transit_by_item(companies, on_date)
        transit_rows = SQL(", ").join(SQL("(%s, %s::numeric)", item_id, amount) for item_id, amount in transit.items())
        return SQL(
            """
            WITH transit(item_id, amount) AS (%(transit)s),
            open_lines AS (
                SELECT aml.id, aml.company_id, aml.move_id, partner.commercial_partner_id AS partner_id,
                       COALESCE(aml.date_maturity, aml.date) AS due_date, aml.date, aml.amount_residual AS residual,
                       aml.amount_residual_currency AS residual_currency, aml.currency_id,
                       move.reversed_entry_id,
                       move.move_type = 'out_invoice' AND COALESCE(move.dunning_charges_kind, '') = '' AS bears_charges,
                       CASE WHEN aml.no_followup THEN 'excluded'
                            WHEN move.dunning_disputed THEN 'disputed'
                            WHEN EXISTS (
                                SELECT 1
                                  FROM dunning_installment_plan_invoice_rel covered
                                  JOIN dunning_installment_plan plan ON plan.id = covered.plan_id
                                 WHERE covered.move_id = move.id AND plan.state = 'active'
                            ) THEN 'plan'
                            WHEN move.dunning_promise_date >= %(date)s THEN 'promised'
                            ELSE 'claimable' END AS status
                  FROM account_move_line aml
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN res_partner partner ON partner.id = aml.partner_id
                 WHERE aml.company_id IN %(companies)s AND aml.parent_state = 'posted' AND %(receivable)s
                   AND aml.reconciled IS NOT TRUE AND aml.amount_residual != 0 AND aml.date <= %(date)s
            ),
            items AS (
                SELECT line.*, COALESCE(transit.amount, 0) AS transit,
                       line.residual - COALESCE(transit.amount, 0) AS owed
                  FROM open_lines line
             LEFT JOIN transit ON transit.item_id = line.id
                 WHERE line.residual > 0
            ),
            credits AS (
                SELECT id, company_id, partner_id, date, -residual AS amount, reversed_entry_id
                  FROM open_lines
                 WHERE residual < 0
            ),
            -- 1. A credit note against the claimable items of the invoice it reverses, oldest credit first.
            reversed AS (
                SELECT DISTINCT company_id, partner_id, reversed_entry_id AS move_id
                  FROM credits
                 WHERE reversed_entry_id IS NOT NULL
            ),
            own_items AS (
                SELECT item.id, item.company_id, item.partner_id, item.move_id, item.owed,
                       COALESCE(SUM(item.owed) OVER (PARTITION BY item.company_id, item.partner_id, item.move_id
                                                     ORDER BY item.due_date, item.id::text COLLATE "C"
                                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
                  FROM items item
                  JOIN reversed USING (company_id, partner_id, move_id)
                 WHERE item.status = 'claimable'
            ),
            own_credits AS (
                SELECT id, company_id, partner_id, reversed_entry_id AS move_id, amount,
                       COALESCE(SUM(amount) OVER (PARTITION BY company_id, partner_id, reversed_entry_id
                                                  ORDER BY date, id::text COLLATE "C"
                                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
                  FROM credits
                 WHERE reversed_entry_id IS NOT NULL
            ),
            covered_own AS (
                SELECT item.id, LEAST(item.owed, GREATEST(0, pool.amount - item.before)) AS amount
                  FROM own_items item
                  JOIN (SELECT company_id, partner_id, move_id, SUM(amount) AS amount
                          FROM own_credits GROUP BY company_id, partner_id, move_id) pool
                       USING (company_id, partner_id, move_id)
            ),
            used_own AS (
                SELECT credit.id, LEAST(credit.amount, GREATEST(0, need.amount - credit.before)) AS amount
                  FROM own_credits credit
                  JOIN (SELECT company_id, partner_id, move_id, SUM(owed) AS amount
                          FROM own_items GROUP BY company_id, partner_id, move_id) need
                       USING (company_id, partner_id, move_id)
            ),
            -- 2. What is left of every credit, oldest first, against the claimable items: the due ones first,
            --    those bearing charges first, the oldest first (Code civil 1342-10). Only customers with credits
            --    have anything to allocate.
            credit_customers AS (SELECT DISTINCT company_id, partner_id FROM credits),
            rest_items AS (
                SELECT item.id, item.company_id, item.partner_id, item.owed - COALESCE(covered.amount, 0) AS owed,
                       COALESCE(SUM(item.owed - COALESCE(covered.amount, 0)) OVER (
                           PARTITION BY item.company_id, item.partner_id
                           ORDER BY item.due_date > %(date)s, NOT item.bears_charges, item.due_date,
                                    item.id::text COLLATE "C"
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
                  FROM items item
                  JOIN credit_customers USING (company_id, partner_id)
             LEFT JOIN covered_own covered ON covered.id = item.id
                 WHERE item.status = 'claimable'
            ),
            rest_credits AS (
                SELECT credit.id, credit.company_id, credit.partner_id,
                       credit.amount - COALESCE(used.amount, 0) AS amount,
                       COALESCE(SUM(credit.amount - COALESCE(used.amount, 0)) OVER (
                           PARTITION BY credit.company_id, credit.partner_id
                           ORDER BY credit.date, credit.id::text COLLATE "C"
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
                  FROM credits credit
             LEFT JOIN used_own used ON used.id = credit.id
            ),
            covered_rest AS (
                SELECT item.id, LEAST(item.owed, GREATEST(0, pool.amount - item.before)) AS amount
                  FROM rest_items item
                  JOIN (SELECT company_id, partner_id, SUM(amount) AS amount
                          FROM rest_credits GROUP BY company_id, partner_id) pool USING (company_id, partner_id)
            ),
            used_rest AS (
                SELECT credit.id, LEAST(credit.amount, GREATEST(0, need.amount - credit.before)) AS amount
                  FROM rest_credits credit
                  JOIN (SELECT company_id, partner_id, SUM(owed) AS amount
                          FROM rest_items GROUP BY company_id, partner_id) need USING (company_id, partner_id)
            )
            SELECT 'item' AS kind, item.id, item.company_id, item.partner_id, item.move_id, item.due_date,
                   item.status, item.currency_id, item.residual_currency, item.residual, item.transit,
                   COALESCE(own.amount, 0) + COALESCE(rest.amount, 0) AS credits,
                   item.residual - item.transit - COALESCE(own.amount, 0) - COALESCE(rest.amount, 0) AS net
              FROM items item
         LEFT JOIN covered_own own ON own.id = item.id
         LEFT JOIN covered_rest rest ON rest.id = item.id
             UNION ALL
            SELECT 'credit', line.id, line.company_id, line.partner_id, line.move_id, line.date, 'credit',
                   line.currency_id, line.residual_currency, line.residual, 0,
                   COALESCE(own.amount, 0) + COALESCE(rest.amount, 0),
                   line.residual + COALESCE(own.amount, 0) + COALESCE(rest.amount, 0)
              FROM open_lines line
         LEFT JOIN used_own own ON own.id = line.id
         LEFT JOIN used_rest rest ON rest.id = line.id
             WHERE line.residual < 0
            """,
            transit=SQL("VALUES %s", transit_rows) if transit else SQL("SELECT 0, 0::numeric WHERE FALSE"),
            date=on_date, companies=tuple(companies.ids) or (0,),
            receivable=self.env["account.move.line"]._dunning_receivable_sql(),
        )

    @api.model
    def _bucket_sql(self, on_date, alias="row"):
        """SQL of the bucket, on ``on_date``, of the row ``alias`` of ``_items_sql``."""
        due_date = SQL.identifier(alias, "due_date")
        return SQL("CASE WHEN %s = 'credit' THEN %s ELSE CASE %s END END", SQL.identifier(alias, "kind"), CREDIT_BUCKET,
                   SQL(" ").join(
                       SQL("WHEN %s - %s BETWEEN %s AND %s THEN %s", on_date, due_date,
                           -100000 if first is None else first, 100000 if last is None else last, bucket)
                       for bucket, first, last in AGE_BUCKETS))

    @api.model
    def _rows_sql(self, companies, on_date):
        """The rows of the report: each item and each credit with its age, whom it is to, and the customer's
        dunning settings in the item's company (its own, else from its payer profile, else the company's)."""
        Partner = self.env["res.partner"]
        defaults = SQL(", ").join(
            SQL("(%s, %s::int, %s::int)", company.id, *(
                Partner._fields[name].get_company_dependent_fallback(Partner.with_company(company)).id or None
                for name in ("dunning_policy_id", "dunning_controller_id")))
            for company in companies
        ) if companies else SQL("(0, NULL::int, NULL::int)")
        return SQL(
            """
            WITH rows AS (%(items)s),
            defaults(company_id, policy_id, controller_id) AS (VALUES %(defaults)s),
            levels AS (
                SELECT DISTINCT ON (line.move_line_id) line.move_line_id, line.level_id
                  FROM dunning_line line
                  JOIN dunning_level level ON level.id = line.level_id
                 WHERE line.escalation AND line.state IN %(active)s
                   AND line.move_line_id IN (SELECT id FROM rows WHERE kind = 'item')
              ORDER BY line.move_line_id, level.sequence DESC, level.delay_days DESC
            )
            SELECT row.id, row.id AS move_line_id, row.company_id, company.currency_id, row.partner_id, row.move_id,
                   move.invoice_date, row.due_date,
                   CASE WHEN row.kind = 'item' THEN %(date)s - row.due_date ELSE 0 END AS days_late,
                   %(bucket)s AS bucket,
                   row.status, row.currency_id AS item_currency_id, row.residual_currency AS amount_currency,
                   row.residual AS amount_residual, -row.transit AS transit_amount,
                   CASE WHEN row.kind = 'item' THEN -row.credits ELSE row.credits END AS credit_amount,
                   row.net AS net_amount,
                   CASE WHEN row.kind = 'item' AND row.due_date < %(date)s THEN row.net ELSE 0 END AS overdue_amount,
                   COALESCE((partner.dunning_controller_id ->> row.company_id::text)::int, defaults.controller_id,
                            company.dunning_default_controller_id) AS controller_id,
                   COALESCE((partner.dunning_policy_id ->> row.company_id::text)::int, defaults.policy_id,
                            CASE partner.trust ->> row.company_id::text
                                 WHEN 'good' THEN company.dunning_profile_good_policy_id
                                 WHEN 'normal' THEN company.dunning_profile_normal_policy_id
                                 WHEN 'bad' THEN company.dunning_profile_bad_policy_id END,
                            company.dunning_default_policy_id) AS policy_id,
                   levels.level_id,
                   COALESCE(partner.dunning_tone ->> row.company_id::text,
                            CASE partner.trust ->> row.company_id::text
                                 WHEN 'good' THEN company.dunning_profile_good_tone
                                 WHEN 'normal' THEN company.dunning_profile_normal_tone
                                 WHEN 'bad' THEN company.dunning_profile_bad_tone END) AS tone,
                   partner.trust ->> row.company_id::text AS trust,
                   CASE WHEN move.dunning_disputed THEN move.dunning_dispute_reason END AS dispute_reason
              FROM rows row
         LEFT JOIN res_company company ON company.id = row.company_id
         LEFT JOIN res_partner partner ON partner.id = row.partner_id
         LEFT JOIN account_move move ON move.id = row.move_id
         LEFT JOIN defaults ON defaults.company_id = row.company_id
         LEFT JOIN levels ON levels.move_line_id = row.id
            """,
            items=self._items_sql(companies, on_date), defaults=defaults, active=ACTIVE_STATES, date=on_date,
            bucket=self._bucket_sql(on_date),
        )

    # Drill-down ------------------------------------------------------------------------------

    def action_open_document(self):
        self.ensure_one()
        return self.move_id._get_records_action()
