import dataclasses
from decimal import Decimal

from ..receivables.dunning_plan import listing_cutoff


@dataclasses.dataclass
class Proposal:
    """One communication to create, or to bring up to date before it goes out.

    ``escalations`` maps the items it takes to a new level to that level's id, ``listed`` the other items
    it lists to the level they reached (or None); ``position`` is the customer's account (its credits and
    the money on its way are listed too); ``figures`` the amounts of each due item, once computed.
    """

    partner: object
    level: object
    policy: object
    position: object
    escalations: dict
    listed: dict
    figures: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_communication(cls, communication, position):
        """The proposal ``communication`` makes today: its escalations whose item is still claimed, and what
        the customer's account lists now."""
        claimed = {item["id"]: item for item in position.items if position.claimed(item) > 0}
        escalations = {
            line.move_line_id.id: line.level_id.id
            for line in communication.line_ids
            if line.escalation and line.line_type == "due" and line.move_line_id.id in claimed
        }
        proposal = cls(communication.partner_id, communication.level_id, communication.policy_id, position,
                       escalations, {})
        if escalations:
            cutoff = listing_cutoff(communication.date, [claimed[i]["due_date"] for i in escalations],
                                    communication.level_id.is_preventive)
            listed = [item["id"] for item in position.items
                      if item["claimable"] and item["due_date"] <= cutoff and item["id"] not in escalations]
            reached = communication.env["account.move.line"]._dunning_reached_levels(listed)
            proposal.listed = {item_id: reached.get(item_id) for item_id in listed}
        return proposal

    def due_item_ids(self):
        return [*self.escalations, *self.listed]

    def claimed(self):
        """What the communication claims, in company currency, net of credits and money on its way."""
        items = {item["id"]: item for item in self.position.items}
        return sum((self.position.claimed(items[item_id]) for item_id in self.due_item_ids()), Decimal(0))

    def rows(self, communication, digits=None):
        """The lines of ``communication`` for ``dunning.line._insert_for_communications``, from the position's
        own data; ``digits`` maps currency ids to their decimals (read once for many proposals)."""
        Line = communication.env["dunning.line"]
        if digits is None:
            currencies = communication.env["res.currency"].with_context(active_test=False).search([])
            digits = {currency.id: currency.decimal_places for currency in currencies}
        items = {item["id"]: item for item in self.position.items}
        rows = []
        for item_id, level_id in [*self.escalations.items(), *self.listed.items()]:
            item = items[item_id]
            rows.append(Line._row(communication, item, "due", digits, self.figures[item_id], level_id,
                                  escalation=item_id in self.escalations))
            on_its_way = self.position.transit.get(item_id)
            if on_its_way:
                ratio = item["residual_currency"] / item["residual"]
                rows.append(Line._row(communication, item, "transit", digits, {
                    "amount_residual": -float(on_its_way * ratio),
                }))
        for credit in self.position.credits:
            rows.append(Line._row(communication, credit, "credit", digits, {
                "due_date": credit["date"], "amount_residual": float(credit["residual_currency"]),
            }))
        return rows
