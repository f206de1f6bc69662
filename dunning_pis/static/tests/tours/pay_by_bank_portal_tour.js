import { registry } from "@web/core/registry";

// A customer opens their invoice in the portal, chooses to pay by bank, sees what they will approve, and
// finds their bank by typing its name.
registry.category("web_tour.tours").add("dunning_pis_pay_by_bank_portal", {
    steps: () => [
        {
            content: "The invoice page offers to pay by bank",
            trigger: "a.o_pay_by_bank_button",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The amount to approve in the bank is shown",
            trigger: "#pay_by_bank_amount:contains('1,234.00')",
        },
        {
            content: "The banks of the directory are offered by name",
            trigger: "datalist#pay_by_bank_banks option[value='Banque Exemple (STET)']:not(:visible)",
        },
        {
            content: "The payer types their bank's name",
            trigger: "input#pay_by_bank_bank",
            run: "edit Banque Exemple (STET)",
        },
        {
            content: "One button leads to the bank",
            trigger: "form button#pay_by_bank_submit:contains('Continue to my bank')",
        },
    ],
});

// Odoo's own Pay button: the payment form's redirect form leads to Odoo's bank choice page, its query
// string (the payment's reference and token) kept by the form's hidden fields.
registry.category("web_tour.tours").add("dunning_pis_pay_by_bank_pay_button", {
    steps: () => [
        {
            content: "The invoice page's Pay button opens Odoo's payment form",
            trigger: "a[data-bs-target='#pay_with']",
            run: "click",
        },
        {
            content: "The payer picks Pay by bank",
            trigger: "#pay_with input[name='o_payment_radio'][data-provider-code='pay_by_bank']",
            run: "click",
        },
        {
            content: "and pays",
            trigger: "#pay_with button[name='o_payment_submit_button']:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Odoo's page for the payer's bank, for this payment",
            trigger: ".o_pay_by_bank_page #pay_by_bank_amount:contains('432.00')",
        },
        {
            content: "where the payer finds their bank",
            trigger: "form.o_pay_by_bank_choice input#pay_by_bank_bank",
        },
    ],
});
