"""What the addon writes in a chatter when nobody is at the keyboard speaks the company's language.

A cron, a bank's webhook or a customer on the portal acts with a user whose language says nothing about
who reads the message: the company's staff. Messages posted then are in the language of the company
(the language of its contact), French for a French company; a user at the keyboard keeps their own.
"""


def in_company_language(records, company=None):
    """``records`` in the language of ``company`` (by default the company of the first of them) when no
    internal user is acting: the superuser of crons, the public user of webhooks, portal users."""
    user = records.env.user
    if user._is_internal() and not user._is_superuser():
        return records
    if company is None:
        company = records[:1].company_id if "company_id" in records._fields else records.env.company
    lang = (company or records.env.company).partner_id.lang
    if not lang or lang == records.env.lang:
        return records
    return records.with_context(lang=lang)
