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
