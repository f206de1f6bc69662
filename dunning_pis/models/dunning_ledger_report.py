from contextlib import contextmanager

from odoo import api, models
from odoo.tools import SQL


@contextmanager
def without_jit(cr):
    """Run the block's statements without PostgreSQL's JIT compilation, then put the setting back.

    A report over the whole receivable ledger is rightly planned above ``jit_above_cost``, and compiling it costs
    more than it saves: on 100k open lines (``bench/cockpit.py``) the aged balance took 3.1 s instead of 0.8 s,
    the payment figures 7.3 s instead of 2.2 s. The setting is local to the transaction; a block that fails
    leaves it to the rollback. Putting it back is a statement of its own: fetch the results inside the block.
    """
    cr.execute(SQL("SELECT current_setting('jit'), set_config('jit', 'off', true)"))
    previous = cr.fetchone()[0]
    yield
    cr.execute(SQL("SELECT set_config('jit', %s, true)", previous))


class DunningLedgerReport(models.AbstractModel):
    """A report whose rows are a SQL query over the ledger (``_table_query``): every way the ORM reads it runs
    without JIT compilation. The overrides carry Odoo's decorators: the web client calls ``search_count``."""

    _name = "dunning.ledger.report"
    _description = "Report computed over the ledger"

    @api.model
    def _read_group(self, *args, **kwargs):
        with without_jit(self.env.cr):
            return super()._read_group(*args, **kwargs)

    @api.model
    def _read_grouping_sets(self, *args, **kwargs):
        with without_jit(self.env.cr):
            return super()._read_grouping_sets(*args, **kwargs)

    @api.model
    def search_fetch(self, *args, **kwargs):
        with without_jit(self.env.cr):
            return super().search_fetch(*args, **kwargs)

    @api.model
    def search_count(self, *args, **kwargs):
        with without_jit(self.env.cr):
            return super().search_count(*args, **kwargs)

    def _fetch_query(self, *args, **kwargs):
        with without_jit(self.env.cr):
            return super()._fetch_query(*args, **kwargs)
