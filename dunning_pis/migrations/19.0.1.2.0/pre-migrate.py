"""Databases installed before 19.0.1.2.0: the reason of a dispute was free text; it is now one of the reasons
the cockpit counts. The text is kept as the dispute's details and the reason becomes "other"."""

REASONS = ("invoice_error", "goods_service", "not_received", "financial_difficulty", "forgotten", "other")


def migrate(cr, version):
    cr.execute("ALTER TABLE account_move ADD COLUMN IF NOT EXISTS dunning_dispute_note text")
    cr.execute(
        """
        UPDATE account_move
           SET dunning_dispute_note = COALESCE(dunning_dispute_note, dunning_dispute_reason),
               dunning_dispute_reason = 'other'
         WHERE dunning_dispute_reason IS NOT NULL AND dunning_dispute_reason NOT IN %s
        """, [REASONS],
    )
