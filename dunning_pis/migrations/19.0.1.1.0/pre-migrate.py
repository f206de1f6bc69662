"""Databases installed before 19.0.1.1.0: the customer's dunning settings were one value for every company; they
are now each company's own (company-dependent, a jsonb of values by company). PostgreSQL cannot cast a text,
boolean, integer or date column to jsonb, so each column is rebuilt here, its value kept for every company."""

from odoo.tools import SQL, sql

PER_COMPANY_COLUMNS = (
    "dunning_tone", "dunning_contact_id", "dunning_blocked", "dunning_block_reason", "dunning_controller_id",
    "dunning_in_collection", "dunning_collection_date",
)


def migrate(cr, version):
    columns = sql.table_columns(cr, "res_partner")
    for column in PER_COMPANY_COLUMNS:
        kind = columns.get(column, {}).get("udt_name")
        if kind in (None, "jsonb"):
            continue
        old = f"{column}_before_per_company"
        cr.execute(SQL("ALTER TABLE res_partner RENAME COLUMN %s TO %s", SQL.identifier(column), SQL.identifier(old)))
        cr.execute(SQL("ALTER TABLE res_partner ADD COLUMN %s jsonb", SQL.identifier(column)))
        # A value equal to the field's default (empty, or False for a flag) is stored as no value at all, as the ORM
        # stores it.
        kept = SQL("%s IS NOT NULL", SQL.identifier(old))
        if kind == "bool":
            kept = SQL("%s IS TRUE", SQL.identifier(old))
        cr.execute(SQL(
            """
            UPDATE res_partner partner
               SET %(column)s = (SELECT jsonb_object_agg(company.id::text, to_jsonb(partner.%(old)s))
                                   FROM res_company company)
             WHERE %(kept)s
            """,
            column=SQL.identifier(column), old=SQL.identifier(old), kept=kept,
        ))
        cr.execute(SQL("ALTER TABLE res_partner DROP COLUMN %s", SQL.identifier(old)))
