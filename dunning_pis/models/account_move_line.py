from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from ..receivables.balance import Position
from ..receivables.late_charges import Regime, UnknownRate, interest_period, late_interest, recovery_indemnity
from .dunning_communication import ACTIVE_STATES

# A payment by bank is money on its way once the payer approved it at their bank (ISO 20022 statuses from
# ACTC on, short of the final ones) and for a few days at most: a credit transfer settles the next business
# day, so one still unsettled a week later is not counted on any more.
APPROVED_AT_THE_BANK = ("ACTC", "ACCP", "ACFC", "ACWC", "ACWP", "ACSP")
ON_ITS_WAY_DAYS = 7


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    dunning_line_ids = fields.One2many("dunning.line", "move_line_id", string="Dunning history", readonly=True)

    # The customer's account ------------------------------------------------------------------

    @api.model
    def _dunning_receivable_sql(self, alias="aml"):
        """``<alias>.account_id IN (the receivable accounts)``, the ids written out so that PostgreSQL estimates
        the lines from ``account_id``'s statistics: joined on ``account_type``, it took the receivable lines for
        1 % of a ledger where they are 40 %, and planned nested loops over 100,000 items (bench/cockpit.py)."""
        accounts = self.env["account.account"].sudo().with_context(active_test=False).search(
            [("account_type", "=", "asset_receivable")], order="id")
        return SQL("%s IN %s", SQL.identifier(alias, "account_id"), tuple(accounts.ids) or (0,))

    @api.model
    def _dunning_positions(self, company, on_date, partner_ids=None, ledger_date=None):
        """{customer id: Position} of ``company``'s customers with open receivable items, claimed as of
        ``on_date``, as the ledger stands with the entries dated up to ``ledger_date`` (``on_date``)."""
        if partner_ids is not None and not partner_ids:
            return {}
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """
            SELECT aml.id, aml.move_id, partner.commercial_partner_id, COALESCE(aml.date_maturity, aml.date),
                   aml.date, aml.amount_residual, aml.amount_residual_currency, aml.currency_id, aml.amount_currency,
                   aml.no_followup, move.move_type, move.dunning_charges_kind, move.reversed_entry_id,
                   move.dunning_disputed IS TRUE OR COALESCE(move.dunning_promise_date >= %(date)s, FALSE),
                   EXISTS (
                        SELECT 1
                          FROM dunning_installment_plan_invoice_rel covered
                          JOIN dunning_installment_plan plan ON plan.id = covered.plan_id
                         WHERE covered.move_id = move.id AND plan.state = 'active'
                   )
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
              JOIN account_move move ON move.id = aml.move_id
              JOIN res_partner partner ON partner.id = aml.partner_id
             WHERE aml.company_id = %(company)s AND aml.parent_state = 'posted'
               AND account.account_type = 'asset_receivable'
               AND aml.reconciled IS NOT TRUE AND aml.amount_residual != 0 AND aml.date <= %(ledger_date)s
               %(partner_filter)s
            """,
            date=on_date, ledger_date=ledger_date or on_date, company=company.id,
            partner_filter=SQL("AND partner.commercial_partner_id IN %s", tuple(partner_ids))
            if partner_ids is not None else SQL(),
        ))
        positions = {}
        for (line_id, move_id, customer_id, due, line_date, balance, residual_currency, currency_id, amount_currency,
             no_followup, move_type, charges_kind, reversed_move_id, paused,
             in_plan) in self.env.cr.fetchall():
            position = positions.setdefault(customer_id, Position(customer_id))
            residual = Decimal(str(balance))
            if residual < 0:
                position.credits.append({"id": line_id, "move_id": move_id, "date": line_date, "residual": -residual,
                                         "residual_currency": Decimal(str(residual_currency)),
                                         "currency_id": currency_id, "reverses": reversed_move_id})
                continue
            position.items.append({
                "id": line_id, "move_id": move_id, "due_date": due, "residual": residual,
                "residual_currency": Decimal(str(residual_currency)), "currency_id": currency_id,
                "amount_currency": abs(Decimal(str(amount_currency))),
                # Late charges are owed on invoices, not on the charges invoices themselves (Code civil 1343-2).
                "bears_charges": move_type == "out_invoice" and not charges_kind,
                # Odoo's own follow-up flag; a credit excluded from follow-up still reduces what is claimed.
                "claimable": not (no_followup or paused or in_plan),
            })
        transit = self._dunning_money_on_its_way(
            company, on_date, [item for position in positions.values() for item in position.items])
        for position in positions.values():
            position.transit = {item["id"]: transit[item["id"]] for item in position.items if item["id"] in transit}
            position.allocate(on_date)
        return positions

    @api.model
    def _dunning_money_on_its_way(self, company, on_date, items):
        """{item id: amount on its way}, in company currency: payments by bank approved at the payer's bank
        and not yet settled, and direct debits sent to the bank, each over its invoices' items, oldest first."""
        by_move = defaultdict(list)
        for item in items:
            by_move[item["move_id"]].append(item)
        if not by_move:
            return {}
        self.env.cr.execute(SQL(
            """
            SELECT rel.invoice_id, tx.id, tx.amount, tx.currency_id
              FROM payment_transaction tx
              JOIN payment_provider provider ON provider.id = tx.provider_id
              JOIN account_invoice_transaction_rel rel ON rel.transaction_id = tx.id
             WHERE rel.invoice_id IN %(moves)s AND provider.code = 'pay_by_bank' AND tx.state = 'pending'
               AND tx.pay_by_bank_status IN %(approved)s AND tx.last_state_change >= %(since)s
             UNION ALL
            SELECT covered.move_id, -installment.id, installment.debit_amount, plan.currency_id
              FROM dunning_installment installment
              JOIN dunning_installment_plan plan ON plan.id = installment.plan_id
              JOIN dunning_installment_plan_invoice_rel covered ON covered.plan_id = plan.id
             WHERE covered.move_id IN %(moves)s AND installment.debit_state = 'exported'
            """,
            moves=tuple(by_move), approved=APPROVED_AT_THE_BANK,
            since=fields.Datetime.to_datetime(on_date) - timedelta(days=ON_ITS_WAY_DAYS),
        ))
        # One payment may cover several invoices: it is spread over all their items, oldest first.
        payments = defaultdict(lambda: [None, None, set()])
        for move_id, payment_key, amount, currency_id in self.env.cr.fetchall():
            payments[payment_key][0], payments[payment_key][1] = amount, currency_id
            payments[payment_key][2].add(move_id)
        on_its_way = defaultdict(Decimal)
        for amount, currency_id, move_ids in payments.values():
            currency = self.env["res.currency"].browse(currency_id)
            left = Decimal(str(currency._convert(amount, company.currency_id, company, on_date)))
            for item in sorted((i for move_id in move_ids for i in by_move[move_id]),
                               key=lambda i: (i["due_date"], i["id"])):
                used = min(left, item["residual"] - on_its_way[item["id"]])
                if used > 0:
                    on_its_way[item["id"]] += used
                    left -= used
        return dict(on_its_way)

    # Charges -----------------------------------------------------------------------------------

    def _dunning_history(self, on_date, exclude_lines):
        """What the reminders sent by ``on_date`` claimed on these items, leaving out ``exclude_lines``: the last
        day of interest claimed, the formal notice (the day it was sent), the charges not invoiced yet, and per
        invoice the indemnity. A reminder that waits for validation, or was cancelled, claimed nothing."""
        history = {"claimed_until": {}, "notice": {}, "earlier_indemnity": defaultdict(Decimal),
                   "earlier_interest": defaultdict(Decimal), "indemnity": {}}
        if not self:
            return history
        self.env["dunning.line"].flush_model()
        self.env.cr.execute(SQL(
            """
            SELECT line.move_line_id, line.invoice_id, line.date, line.indemnity_amount, line.interest_amount,
                   line.interest_date_to, line.charges_invoice_id IS NOT NULL, level.formal_notice,
                   COALESCE(communication.sent_date::date, line.date)
              FROM dunning_line line
              JOIN dunning_communication communication ON communication.id = line.communication_id
              JOIN dunning_level level ON level.id = communication.level_id
             WHERE (line.move_line_id IN %(items)s OR line.invoice_id IN %(moves)s)
               AND line.line_type = 'due' AND line.state = 'sent' AND line.date <= %(date)s
               AND line.id NOT IN %(exclude)s
            """,
            items=tuple(self.ids), moves=tuple(self.move_id.ids), date=on_date,
            exclude=tuple(exclude_lines.ids) or (0,),
        ))
        item_ids = set(self.ids)
        for (item_id, move_id, date, indemnity, interest, interest_to, invoiced, formal_notice,
             sent_on) in self.env.cr.fetchall():
            if indemnity and (move_id not in history["indemnity"] or date < history["indemnity"][move_id]):
                history["indemnity"][move_id] = date
            if item_id not in item_ids:
                continue
            claimed_until = history["claimed_until"]
            if interest_to and (item_id not in claimed_until or interest_to > claimed_until[item_id]):
                claimed_until[item_id] = interest_to
            if formal_notice and (item_id not in history["notice"] or sent_on < history["notice"][item_id]):
                history["notice"][item_id] = sent_on
            if not invoiced:
                history["earlier_indemnity"][item_id] += Decimal(str(indemnity or 0))
                history["earlier_interest"][item_id] += Decimal(str(interest or 0))
        return history

    def _dunning_payments(self):
        """{item id: [(date, amount in the item's currency)]}: what was matched with each item, and when."""
        payments = defaultdict(list)
        if not self:
            return payments
        self.env["account.partial.reconcile"].flush_model()
        self.env.cr.execute(SQL(
            "SELECT debit_move_id, max_date, debit_amount_currency FROM account_partial_reconcile"
            " WHERE debit_move_id IN %s", tuple(self.ids),
        ))
        for line_id, date, amount in self.env.cr.fetchall():
            payments[line_id].append((date, Decimal(str(amount))))
        return payments

    def _dunning_figures(self, positions, on_date, charges, exclude_lines=None, problems=None):
        """{item id: what a reminder shows on ``on_date`` for these open items}, in each item's currency: amount
        due, days late, the indemnity and the interest it claims (with their dates), and the charges claimed by
        earlier reminders and not invoiced yet. ``positions`` are the customers' Position by customer id;
        ``charges`` says per customer id whether the reminder claims (indemnity, interest). Items of many
        customers are computed together, in a few queries. With ``problems`` (a dict), a customer whose figures
        cannot be computed is left out and the reason kept there by customer id, instead of raising."""
        history = self._dunning_history(on_date, exclude_lines or self.env["dunning.line"])
        payments = self._dunning_payments()
        found = {item["id"]: (position, item) for position in positions.values() for item in position.items}
        company = self.company_id[:1] or self.env.company
        customers = self.env["res.partner"].with_company(company).browse(
            {found[item_id][0].customer_id for item_id in self.ids})
        # What depends on the customer is read once per customer, not once per item.
        regimes = {customer.id: customer._dunning_regime() for customer in customers}
        proceedings = {customer.id: customer.dunning_proceedings_date if customer.dunning_proceedings else None
                       for customer in customers}
        digits = {currency.id: currency.decimal_places for currency in self.env["res.currency"].browse(
            {found[item_id][1]["currency_id"] for item_id in self.ids})}
        rate_tables, figures, indemnity_claimed = {}, {}, dict(history["indemnity"])
        for item_id in sorted(self.ids, key=lambda item_id: (found[item_id][1]["due_date"], item_id)):
            position, item = found[item_id]
            customer_id, move_id = position.customer_id, item["move_id"]
            regime, opening = regimes[customer_id], proceedings[customer_id]
            claim_indemnity, claim_interest = charges.get(customer_id, (False, False))
            days_late = (on_date - item["due_date"]).days
            values = {
                "days_late": days_late, "amount_residual": float(item["residual_currency"]),
                "indemnity_amount": 0.0, "indemnity_claimed_date": indemnity_claimed.get(move_id) or False,
                "interest_amount": 0.0, "interest_date_from": False, "interest_date_to": False,
                "earlier_indemnity_amount": float(history["earlier_indemnity"].get(item_id, 0)),
                "earlier_interest_amount": float(history["earlier_interest"].get(item_id, 0)),
            }
            # L441-10 II: no indemnity when collective proceedings forbid paying the item at its due date, even
            # one claimed before the judgment was known.
            forbidden = opening is not None and item["due_date"] >= opening
            if forbidden:
                values["earlier_indemnity_amount"] = 0.0
            values["earlier_charges_amount"] = values["earlier_indemnity_amount"] + values["earlier_interest_amount"]
            late = days_late > 0 and item["bears_charges"] and position.claimed(item) > 0
            if late and claim_indemnity and not forbidden and not indemnity_claimed.get(move_id):
                owed = recovery_indemnity(regime, company.dunning_indemnity_amount)
                if owed:
                    values["indemnity_amount"] = company.currency_id._convert(
                        float(owed), self.env["res.currency"].browse(item["currency_id"]), company, on_date)
                    # once per invoice, even when several of its maturities are late
                    indemnity_claimed[move_id] = on_date
            period = late and claim_interest and interest_period(
                regime, item["due_date"], on_date, claimed_until=history["claimed_until"].get(item_id),
                notice_date=history["notice"].get(item_id), proceedings_date=opening,
            )
            if period:
                if regime not in rate_tables:
                    rate_tables[regime] = self.env["dunning.interest.rate"]._rate_table(company, regime)
                # Credits put against the item stop its interest like payments, converted at its own rate.
                ratio = item["residual_currency"] / item["residual"]
                credits = position.allocation.parts.get(item_id, ())
                paid = [*payments.get(item_id, ()), *((date, amount * ratio) for _credit, date, amount in credits)]
                try:
                    amount = late_interest(item["amount_currency"], item["due_date"], period[1], rate_tables[regime],
                                           paid, digits[item["currency_id"]], since=period[0])
                except UnknownRate as error:
                    message = self._dunning_unknown_rate_message(regime, error.half_year, customers.browse(customer_id),
                                                                 self.env["account.move"].browse(move_id))
                    if problems is None:
                        raise UserError(message) from error
                    problems[customer_id] = message
                    continue
                values.update(interest_amount=float(amount), interest_date_from=period[0], interest_date_to=period[1])
            figures[item_id] = values
        if problems:
            figures = {item_id: values for item_id, values in figures.items()
                       if found[item_id][0].customer_id not in problems}
        return figures

    def _dunning_unknown_rate_message(self, regime, half_year, customer, move):
        half_year = format_date(self.env, half_year)
        if regime is Regime.CONSUMER:
            return self.env._(
                "No legal interest rate is known for the half-year starting on %(date)s (%(customer)s, %(invoice)s): "
                "add it under Dunning > Configuration > Interest rates.",
                date=half_year, customer=customer.display_name, invoice=move.display_name,
            )
        return self.env._(
            "No late-payment reference rate is known for the half-year starting on %(date)s (%(customer)s, "
            "%(invoice)s): add it under Dunning > Configuration > Interest rates.",
            date=half_year, customer=customer.display_name, invoice=move.display_name,
        )

    @api.model
    def _dunning_reached_levels(self, item_ids):
        """{item id: id of the most advanced level a pending or sent reminder took it to}."""
        if not item_ids:
            return {}
        self.env["dunning.line"].flush_model(["move_line_id", "escalation", "state", "level_id"])
        self.env.cr.execute(SQL(
            """
            SELECT DISTINCT ON (line.move_line_id) line.move_line_id, line.level_id
              FROM dunning_line line
              JOIN dunning_level level ON level.id = line.level_id
             WHERE line.escalation AND line.state IN %s AND line.move_line_id = ANY(%s)
          ORDER BY line.move_line_id, level.sequence DESC, level.delay_days DESC
            """, ACTIVE_STATES, list(item_ids),
        ))
        return dict(self.env.cr.fetchall())

    # For the reports ---------------------------------------------------------------------------

    @api.model
    def _dunning_transit_by_item(self, companies, on_date):
        """{item id: money on its way for it} over ``companies`` on ``on_date``, as ``_dunning_positions`` counts
        it: the positions of the few customers with a payment by bank pending or a direct debit in a file are
        read in full, so that the reports net the very amounts dunning nets."""
        if not companies:
            return {}
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """
            SELECT DISTINCT aml.company_id, partner.commercial_partner_id
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
              JOIN res_partner partner ON partner.id = aml.partner_id
             WHERE aml.company_id IN %(companies)s AND account.account_type = 'asset_receivable'
               AND aml.reconciled IS NOT TRUE AND aml.amount_residual > 0
               AND aml.move_id IN (
                    SELECT rel.invoice_id
                      FROM account_invoice_transaction_rel rel
                      JOIN payment_transaction tx ON tx.id = rel.transaction_id
                      JOIN payment_provider provider ON provider.id = tx.provider_id
                     WHERE provider.code = 'pay_by_bank' AND tx.state = 'pending'
                     UNION
                    SELECT covered.move_id
                      FROM dunning_installment installment
                      JOIN dunning_installment_plan_invoice_rel covered ON covered.plan_id = installment.plan_id
                     WHERE installment.debit_state = 'exported'
               )
            """, companies=tuple(companies.ids),
        ))
        customers = defaultdict(list)
        for company_id, customer_id in self.env.cr.fetchall():
            customers[company_id].append(customer_id)
        transit = {}
        for company_id, customer_ids in customers.items():
            company = self.env["res.company"].browse(company_id)
            for position in self._dunning_positions(company, on_date, customer_ids).values():
                transit.update(position.transit)
        return transit
