"""Databases installed before 19.0.1.1.0: the default policy's levels are data of ``noupdate``, so the update
does not give them what this version adds: the formal notice, its days to pay and the consumers' templates."""

from odoo import SUPERUSER_ID, api

CONSUMER_TEMPLATES = {
    "level_before_1": "email_template_before_1_consumer",
    "level_after_8": "email_template_after_8_consumer",
    "level_after_15": "email_template_after_15_consumer",
    "level_after_30": "email_template_after_30_consumer",
    "level_after_45": "email_template_after_45_consumer",
}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for level_xmlid, template_xmlid in CONSUMER_TEMPLATES.items():
        level = env.ref(f"dunning_pis.{level_xmlid}", raise_if_not_found=False)
        template = env.ref(f"dunning_pis.{template_xmlid}", raise_if_not_found=False)
        if level and template and not level.template_consumer_id:
            level.template_consumer_id = template
    notice = env.ref("dunning_pis.level_after_30", raise_if_not_found=False)
    if notice and not notice.formal_notice:
        notice.write({"formal_notice": True, "payment_deadline_days": notice.payment_deadline_days or 8})
