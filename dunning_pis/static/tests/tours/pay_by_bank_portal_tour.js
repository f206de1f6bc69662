import { registry } from "@web/core/registry";

// A customer opens their invoice in the portal, chooses to pay by bank, and sees what they will approve.
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
            content: "One button leads to the bank",
            trigger: "form button#pay_by_bank_submit:contains('Continue to my bank')",
        },
    ],
});
