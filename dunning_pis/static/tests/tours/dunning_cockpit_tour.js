import { registry } from "@web/core/registry";

// A credit controller starts the day on the dashboard and opens the lists behind its figures.
registry.category("web_tour.tours").add("dunning_pis_cockpit_tour", {
    url: "/odoo/action-dunning_pis.action_dunning_dashboard",
    steps: () => [
        {
            content: "The dashboard shows the company's DSO and its trend",
            trigger: ".o_dunning_dashboard_tile[name='tile_dso'] .o_dashboard_graph canvas",
        },
        {
            content: "Open the net overdue amount",
            trigger: ".o_dunning_dashboard_tile[name='tile_overdue'] button.o_dunning_dashboard_figure",
            run: "click",
        },
        {
            content: "The aged balance lists the overdue customers, the tour's among them",
            trigger: ".o_list_renderer .o_group_name:contains('Tour Customer SARL')",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .o_back_button, .o_breadcrumb a:contains('Dashboard')",
            run: "click",
        },
        {
            content: "Open what is more than 90 days late",
            trigger: ".o_dunning_dashboard_tile[name='tile_aged_balance'] .row button:nth-child(5)",
            run: "click",
        },
        {
            content: "The customer's invoice of 100 days ago is there",
            trigger: ".o_list_renderer .o_group_name:contains('Tour Customer SARL')",
            run: "click",
        },
        {
            content: "Its line shows the age",
            trigger: ".o_data_row:contains('> 90 days'):contains('1,500.00')",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .o_back_button, .o_breadcrumb a:contains('Dashboard')",
            run: "click",
        },
        {
            content: "Open the bad payers",
            trigger: ".o_dunning_dashboard_tile[name='tile_profiles'] button.text-danger",
            run: "click",
        },
        {
            content: "The tour's customer is a bad payer: it paid 60 days late",
            trigger: ".o_data_row:contains('Tour Customer SARL'):contains('Bad Debtor')",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .o_back_button, .o_breadcrumb a:contains('Dashboard')",
            run: "click",
        },
        {
            content: "Open the promises due today",
            trigger: ".o_dunning_dashboard_tile[name='tile_promises'] button.o_dunning_dashboard_figure",
            run: "click",
        },
        {
            content: "The promise made for today is listed",
            trigger: ".o_data_row:contains('Tour Customer SARL'):contains('700.00')",
        },
    ],
});
