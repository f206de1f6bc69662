import { registry } from "@web/core/registry";

// A customer opens the plan from the email, types their IBAN, signs the mandate and accepts the plan.
registry.category("web_tour.tours").add("dunning_pis_installment_plan_portal", {
    steps: () => [
        {
            content: "The schedule is shown",
            trigger: "#installment_plan_schedule tbody tr:nth-child(3):contains('300.00')",
        },
        {
            content: "The mandate names the creditor identifier",
            trigger: "#installment_plan_accept:contains('FR72ZZZ123456')",
        },
        {
            content: "Name of the account holder",
            trigger: "input[name='signer']",
            run: "edit Marie Boulanger",
        },
        {
            content: "IBAN",
            trigger: "input[name='iban']",
            run: "edit FR76 3000 4000 0312 3456 7890 143",
        },
        {
            content: "Consent to the plan and the mandate",
            trigger: "input[name='consent']",
            run: "click",
        },
        {
            content: "Accept",
            trigger: "button#installment_plan_accept_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The plan is accepted and the mandate signed",
            trigger: "#installment_plan_accepted:contains('Marie Boulanger'):contains('signed')",
        },
        {
            content: "The first installment can be paid by bank at once",
            trigger: "button#installment_plan_pay_submit:contains('300.00')",
        },
    ],
});
