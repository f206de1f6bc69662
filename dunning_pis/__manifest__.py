{
    "name": "Dunning and Pay by Bank",
    "summary": "Payment reminders, late fees, early-payment discounts, installment plans "
               "and PSD2 pay-by-bank that get customer invoices paid",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "dunning_pis contributors",
    "website": "https://github.com/dunning-pis/dunning_pis",
    "depends": ["account", "account_payment", "payment", "portal", "mail"],
    "data": [
        "security/dunning_security.xml",
        "views/res_config_settings_views.xml",
        "views/dunning_menus.xml",
    ],
    "demo": [
        "demo/dunning_demo.xml",
    ],
}
