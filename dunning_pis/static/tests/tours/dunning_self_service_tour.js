import { registry } from "@web/core/registry";

// A customer opens an invoice from the link of a reminder and says when they will pay.
registry.category("web_tour.tours").add("dunning_pis_self_service_promise", {
    steps: () => [
        {
            content: "The invoice page offers to answer the reminder",
            trigger: "a.o_dunning_self_service_button",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "What is left to pay is shown",
            trigger: "#dunning_self_service_amount:contains('1,200.00')",
        },
        {
            content: "A week from today",
            trigger: "#dunning_promise_date",
            run() {
                const day = new Date();
                day.setDate(day.getDate() + 7);
                this.anchor.value = day.toISOString().slice(0, 10);
            },
        },
        {
            content: "A word for the controller",
            trigger: "#dunning_promise_note",
            run: "edit Virement programmé, merci de patienter.",
        },
        {
            content: "Promise to pay",
            trigger: "#dunning_promise_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Thanked, and told no reminder comes before that date",
            trigger: "#dunning_self_service_done:contains('will not remind you')",
        },
    ],
});

// Another customer disputes an invoice with a reason.
registry.category("web_tour.tours").add("dunning_pis_self_service_dispute", {
    steps: () => [
        {
            content: "Choose the reason",
            trigger: "#dunning_dispute_reason",
            run: "select not_received",
        },
        {
            content: "Say what is wrong",
            trigger: "#dunning_dispute_note",
            run: "edit Marchandise jamais reçue.",
        },
        {
            content: "Dispute the invoice",
            trigger: "#dunning_dispute_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The invoice is disputed, and dunning waits",
            trigger: "#dunning_self_service_disputed:contains('Not received')",
        },
    ],
});
