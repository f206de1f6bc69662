"""Odoo shell script: the reminders of the benchmark's dunning run, as if they had gone out on their day."""
# ruff: noqa: F821 -- `env` is given by odoo shell
env.cr.execute("UPDATE dunning_communication SET state = 'sent', sent_date = date::timestamp"
               " WHERE state IN ('queued', 'to_validate')")
env.cr.execute("UPDATE dunning_line SET state = 'sent' WHERE state IN ('queued', 'to_validate')")
env.cr.commit()
print("{}")
