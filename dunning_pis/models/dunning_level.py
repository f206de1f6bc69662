from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..receivables.dunning_plan import Level
from ..receivables.late_charges import Regime

TONES = [("courteous", "Courteous"), ("standard", "Standard"), ("firm", "Firm")]


class DunningLevel(models.Model):
    """One step of a dunning policy: when it comes, how it reaches the customer, what it charges."""

    _name = "dunning.level"
    _description = "Dunning level"
    _order = "policy_id, sequence, delay_days, id"

    policy_id = fields.Many2one("dunning.policy", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    delay_days = fields.Integer(
        string="Delay (days)",
        required=True,
        help="Days after the due date when this level comes; negative for a reminder before the due date.",
    )
    tone = fields.Selection(
        TONES, required=True, default="standard",
        help="The tone of this level's communications, unless the customer has a tone of its own.",
    )
    channel_email = fields.Boolean(string="Email", default=True)
    channel_letter = fields.Boolean(string="Letter")
    channel_phone = fields.Boolean(string="Phone call")
    channel_collection = fields.Boolean(string="Collection")
    channel_sms = fields.Boolean(string="SMS", help="A text message to the customer's mobile, with the link to pay.")
    attach_invoices = fields.Boolean(help="Attach the invoices as PDF to the email.")
    registered_letter = fields.Boolean(help="The letter goes by registered post: its tracking number is kept.")
    template_courteous_id = fields.Many2one(
        "mail.template", string="Courteous template", domain="[('model', '=', 'dunning.communication')]",
    )
    template_standard_id = fields.Many2one(
        "mail.template", string="Standard template", domain="[('model', '=', 'dunning.communication')]",
    )
    template_firm_id = fields.Many2one(
        "mail.template", string="Firm template", domain="[('model', '=', 'dunning.communication')]",
    )
    sms_template_courteous_id = fields.Many2one(
        "sms.template", string="Courteous SMS", domain="[('model', '=', 'dunning.communication')]",
        default=lambda self: self.env.ref("dunning_pis.sms_template_reminder_courteous", raise_if_not_found=False),
    )
    sms_template_standard_id = fields.Many2one(
        "sms.template", string="Standard SMS", domain="[('model', '=', 'dunning.communication')]",
        default=lambda self: self.env.ref("dunning_pis.sms_template_reminder_standard", raise_if_not_found=False),
    )
    sms_template_firm_id = fields.Many2one(
        "sms.template", string="Firm SMS", domain="[('model', '=', 'dunning.communication')]",
        default=lambda self: self.env.ref("dunning_pis.sms_template_reminder_firm", raise_if_not_found=False),
    )
    template_consumer_id = fields.Many2one(
        "mail.template", string="Consumer template", domain="[('model', '=', 'dunning.communication')]",
        help="Used instead of the tone templates for consumers: their wording cites the Code civil, never the "
             "Code de commerce, and threatens no costs. Empty: the tone templates.",
    )
    formal_notice = fields.Boolean(
        string="Formal notice",
        help="This level is the formal notice (mise en demeure): consumers owe interest at the legal rate from its "
             "date (Code civil 1231-6, 1344-1), and its letter is the legal document the creditor relies on.",
    )
    payment_deadline_days = fields.Integer(
        string="Days to pay", default=8,
        help="The deadline the formal notice gives, in days from its receipt.",
    )
    fee_amount = fields.Monetary(
        string="Justified costs",
        help="Recovery costs actually incurred beyond the 40 € indemnity, which a business debtor owes on "
             "justification only (L441-10 II): keep the proof. Never charged to consumers, whose recovery costs stay "
             "with the creditor (Code des procédures civiles d'exécution, L111-8).",
    )
    charge_indemnity = fields.Boolean(
        string="Recovery indemnity",
        help="Charge the fixed indemnity for recovery costs (40 € in France, D441-5) on each late invoice of a "
             "business customer, once per invoice.",
    )
    charge_interest = fields.Boolean(
        string="Late-payment interest", help="Show and charge the interest owed since the due date.",
    )
    needs_validation = fields.Boolean(help="Communications of this level wait for a person to validate them.")
    min_overdue_amount = fields.Monetary(
        string="Minimum amount",
        help="Sent only when the customer's invoices at this level add up to at least this amount.",
    )

    _has_channel = models.Constraint(
        "CHECK (channel_email OR channel_sms OR channel_letter OR channel_phone OR channel_collection)",
        "A dunning level needs at least one channel.",
    )
    _positive_amounts = models.Constraint(
        "CHECK (COALESCE(fee_amount, 0) >= 0 AND COALESCE(min_overdue_amount, 0) >= 0"
        " AND COALESCE(payment_deadline_days, 0) >= 0)",
        "Fees, minimum amounts and days to pay of a dunning level cannot be negative.",
    )

    @api.depends("company_id")
    def _compute_currency_id(self):
        for level in self:
            level.currency_id = level.company_id.currency_id or self.env.company.currency_id

    @api.constrains("delay_days", "sequence", "channel_letter", "channel_phone", "channel_collection",
                    "fee_amount", "charge_indemnity", "charge_interest", "formal_notice")
    def _check_policy_order(self):
        self.policy_id._check_levels()

    @api.constrains("channel_email", "channel_sms", "channel_letter", "channel_phone", "channel_collection")
    def _check_channels(self):
        if self.filtered(lambda level: not (level.channel_email or level.channel_sms or level.channel_letter
                                            or level.channel_phone or level.channel_collection)):
            raise ValidationError(self.env._("A dunning level needs at least one channel."))

    @property
    def is_preventive(self):
        return self.delay_days < 0

    def _charges(self):
        """What makes a level more than a courteous reminder, which cannot come before the due date."""
        self.ensure_one()
        return bool(self.channel_letter or self.channel_phone or self.channel_collection or self.fee_amount
                    or self.charge_indemnity or self.charge_interest or self.formal_notice)

    def _fee_for(self, regime):
        """The fixed fee a communication of this level charges: none to consumers, since the costs of recovery
        without an enforceable title stay with the creditor (Code des procédures civiles d'exécution, L111-8)."""
        self.ensure_one()
        return self.fee_amount if regime is Regime.BUSINESS else 0.0

    def _as_plan_level(self):
        return Level(self.id, self.delay_days, self.min_overdue_amount, self._charges())

    def _template_for(self, tone, regime=None):
        self.ensure_one()
        if regime is Regime.CONSUMER and self.template_consumer_id:
            return self.template_consumer_id
        return self[f"template_{tone}_id"] or self.template_standard_id

    def _sms_template_for(self, tone):
        self.ensure_one()
        return self[f"sms_template_{tone}_id"] or self.sms_template_standard_id

    def _channel_labels(self, channels=None, exclude=()):
        """The channels of this level, or of ``channels`` (a record with the same channel fields)."""
        self.ensure_one()
        channels = channels or self
        labels = {
            "channel_email": self.env._("email"), "channel_sms": self.env._("SMS"),
            "channel_letter": self.env._("letter"), "channel_phone": self.env._("phone call"),
            "channel_collection": self.env._("collection"),
        }
        return ", ".join(label for field, label in labels.items() if channels[field] and field not in exclude)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used_or_last(self):
        if self.env["dunning.line"].sudo().search_count([("level_id", "in", self.ids)], limit=1):
            raise ValidationError(self.env._(
                "Reminders were already sent at this level: archive the policy or rename the level instead."
            ))
        for policy in self.policy_id.filtered("active"):
            if not policy.level_ids - self:
                raise ValidationError(
                    self.env._("The dunning policy %s needs at least one level.", policy.display_name),
                )
