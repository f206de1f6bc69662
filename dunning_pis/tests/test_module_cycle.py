from odoo.tests import standalone
from odoo.tests.test_module_operations import install, uninstall

OWN_COLUMN = ("res_company", "dunning_auto_run")


def _column_exists(cr, table, column):
    cr.execute("SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
               (table, column))
    return bool(cr.rowcount)


@standalone("dunning_pis_cycle")
def test_uninstall_then_reinstall(env):
    """Uninstalling leaves nothing of the addon behind; reinstalling brings all of it back."""
    module = env["ir.module.module"].search([("name", "=", "dunning_pis")])
    assert module.state == "installed", module.state
    # Odoo refuses to uninstall a payment provider whose payments exist (account_payment's _remove_provider), as
    # an accountant would want: the demo's payments by bank go first, as an administrator would have to do.
    method = env["payment.provider"]._get_provider_payment_method("pay_by_bank")
    demo_payments = env["account.payment"].search([("payment_method_id", "=", method.id)])
    assert env["payment.provider"]._check_existing_payment(method) == bool(demo_payments)
    env["payment.transaction"].search([("payment_id", "in", demo_payments.ids)]).payment_id = False
    demo_payments.action_draft()
    demo_payments.unlink()
    env.cr.commit()
    uninstall(env.cr.dbname, module.id, module.name)
    env.cr.rollback()
    env.transaction.reset()
    assert module.state == "uninstalled", module.state
    assert not _column_exists(env.cr, *OWN_COLUMN), "company field left behind"
    assert not env["ir.model"].search([("model", "=like", "dunning.%")]), "models left behind"
    assert not env["ir.ui.menu"].search([("name", "=", "Dunning")]), "menu left behind"
    assert not env.ref("dunning_pis.group_dunning_manager", raise_if_not_found=False), "group left behind"

    install(env.cr.dbname, module.id, module.name)
    env.cr.rollback()
    env.transaction.reset()
    assert module.state == "installed", module.state
    assert _column_exists(env.cr, *OWN_COLUMN)
    assert env.ref("dunning_pis.menu_dunning_root")
    assert env.ref("dunning_pis.group_dunning_manager")
