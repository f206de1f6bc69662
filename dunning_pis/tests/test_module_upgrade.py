"""An update from 19.0.1.0.0, when the customer's dunning settings were one value for every company.

A standalone script: the update commits and reloads the registry, which a regular test case cannot do. The
database is brought back to that version's schema (plain columns instead of values by company) before updating.
"""

from odoo import api
from odoo.modules.module import get_manifest
from odoo.modules.registry import Registry
from odoo.tests import standalone

# The columns of 19.0.1.0.0 that became values by company in 19.0.1.1.0, with their type then.
OLD_COLUMNS = {
    "dunning_tone": "varchar", "dunning_contact_id": "int4", "dunning_blocked": "bool",
    "dunning_block_reason": "varchar", "dunning_controller_id": "int4", "dunning_in_collection": "bool",
    "dunning_collection_date": "date",
}


def _upgrade(db_name, module_id):
    with Registry(db_name).cursor() as cr:
        api.Environment(cr, api.SUPERUSER_ID, {})["ir.module.module"].browse(module_id).button_immediate_upgrade()


@standalone("dunning_pis_upgrade")
def test_update_keeps_each_customers_settings_for_every_company(env):
    """A customer set to the firm tone and not to be dunned, with its own dunning contact, before the update is
    still so in every company after it; a customer with nothing set has nothing set."""
    customer = env["res.partner"].create({"name": "Customer before the update", "is_company": True})
    contact = env["res.partner"].create({"name": "Accounts payable", "parent_id": customer.id})
    untouched = env["res.partner"].create({"name": "Customer with nothing set", "is_company": True})
    module = env["ir.module.module"].search([("name", "=", "dunning_pis")])
    env.cr.commit()
    # Back to one value for every company: the main company's, so that the other customers of the database keep
    # theirs through the update.
    main_company = str(env.ref("base.main_company").id)
    for column, kind in OLD_COLUMNS.items():
        env.cr.execute(f"ALTER TABLE res_partner ALTER COLUMN {column} TYPE {kind} USING ({column}->>%s)::{kind}",
                       [main_company])
    env.cr.execute("""
        UPDATE res_partner SET dunning_tone = 'firm', dunning_blocked = TRUE, dunning_block_reason = 'Dispute',
                               dunning_contact_id = %s, dunning_in_collection = FALSE,
                               dunning_collection_date = '2026-10-01'
         WHERE id = %s
    """, [contact.id, customer.id])
    env.cr.execute("UPDATE ir_module_module SET latest_version = '19.0.1.0.0' WHERE id = %s", [module.id])
    env.cr.commit()

    _upgrade(env.cr.dbname, module.id)
    env.cr.rollback()
    env.transaction.reset()
    module.invalidate_recordset()
    assert module.latest_version == get_manifest("dunning_pis")["version"], module.latest_version
    companies = env["res.company"].search([])
    assert len(companies) > 1, "a database of several companies"
    for company in companies:
        kept = customer.with_company(company)
        assert (kept.dunning_tone, kept.dunning_blocked, kept.dunning_block_reason, kept.dunning_contact_id,
                kept.dunning_in_collection, str(kept.dunning_collection_date)) == (
            "firm", True, "Dispute", contact, False, "2026-10-01"), company.name
        other = untouched.with_company(company)
        assert (other.dunning_tone, other.dunning_blocked, other.dunning_contact_id) == (False, False, contact.browse())
    (contact | customer | untouched).unlink()
    env.cr.commit()
