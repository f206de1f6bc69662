from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..messaging.delivery import FALLBACK_LETTER, FALLBACK_NONE, FALLBACK_PHONE
from ..receivables.dunning_plan import Policy, PolicyProblem, policy_problems


class DunningPolicy(models.Model):
    """A reminder calendar: ordered levels from courteous reminders to collection."""

    _name = "dunning.policy"
    _description = "Dunning policy"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Leave empty to share the policy between companies.")
    level_ids = fields.One2many("dunning.level", "policy_id", string="Levels", copy=True)
    min_gap_days = fields.Integer(
        string="Minimum gap (days)", default=2,
        help="A customer gets no communication within this many days after the previous one.",
    )
    allow_level_skip = fields.Boolean(
        string="Skip levels",
        help="Send the most advanced level an invoice has reached instead of climbing one level per run.",
    )
    description = fields.Text(translate=True)
    fallback_channel = fields.Selection(
        [(FALLBACK_LETTER, "Letter to print"), (FALLBACK_PHONE, "Phone call"), (FALLBACK_NONE, "None: put in error")],
        string="When no email or SMS can be sent", required=True, default=FALLBACK_LETTER,
        help="What a reminder goes by when the customer has no usable email address (missing, invalid, "
             "blacklisted, bounced) or no mobile number for the SMS of its level.",
    )

    @api.constrains("level_ids", "min_gap_days", "active")
    def _check_levels(self):
        """Levels in the order of their delays, nothing but plain reminders before the due date, and at
        least one level for an active policy (one is created archived, then gets its levels)."""
        messages = {
            PolicyProblem.NO_LEVELS: lambda _level: self.env._("A dunning policy needs at least one level."),
            PolicyProblem.OUT_OF_ORDER: lambda level: self.env._(
                "Level “%(level)s” comes after a level with an equal or longer delay: levels must be in the order "
                "of their delays.", level=level.name,
            ),
            PolicyProblem.EARLY_CHARGES: lambda level: self.env._(
                "Level “%(level)s” comes before the due date: only a plain email reminder can, without fees, "
                "interest, letter, phone call or collection.", level=level.name,
            ),
            PolicyProblem.NEGATIVE_GAP: lambda _level: self.env._(
                "The minimum gap between two communications cannot be negative.",
            ),
        }
        for policy in self:
            levels = policy._ordered_levels()
            problems = [
                (problem, index)
                for problem, index in policy_problems([level._as_plan_level() for level in levels], policy.min_gap_days)
                if policy.active or problem != PolicyProblem.NO_LEVELS
            ]
            if problems:
                problem, index = problems[0]
                raise ValidationError(messages[problem](levels[index] if index is not None else None))

    def _ordered_levels(self):
        self.ensure_one()
        return self.level_ids.sorted(lambda lv: (lv.sequence, lv.delay_days, lv.id))

    def _as_plan_policy(self):
        self.ensure_one()
        return Policy(self.id, tuple(level._as_plan_level() for level in self._ordered_levels()),
                      self.min_gap_days, self.allow_level_skip)

    def _next_level(self, level):
        """The level after ``level`` in this policy (the first one when ``level`` is empty)."""
        levels = self._ordered_levels()
        if not level:
            return levels[:1]
        index = list(levels).index(level) if level in levels else len(levels)
        return levels[index + 1:index + 2]
