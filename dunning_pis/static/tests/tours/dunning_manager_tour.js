import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// A dunning manager edits a level of the default policy, previews a run, runs it, then validates
// and sends the communication that now waits for validation.
registry.category("web_tour.tours").add("dunning_pis_manager_tour", {
    url: "/odoo/action-dunning_pis.action_dunning_policy",
    steps: () => [
        {
            content: "Open the default French policy",
            trigger: ".o_data_row td:contains('Standard French policy')",
            run: "click",
        },
        {
            content: "Open its first overdue level",
            trigger: ".o_field_one2many[name='level_ids'] .o_data_row td:contains('1 day overdue')",
            run: "click",
        },
        {
            content: "Charge a fixed fee at this level",
            trigger: ".modal div[name='fee_amount'] input",
            run: "edit 12",
        },
        {
            content: "Hold its communications for validation",
            trigger: ".modal div[name='needs_validation'] input",
            run: "click",
        },
        {
            content: "Save the level",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        ...stepUtils.saveForm(),
        {
            content: "Open the Dunning menu",
            trigger: ".o_main_navbar button:contains('Dunning')",
            run: "click",
        },
        {
            content: "Go to the runs",
            trigger: ".dropdown-item:contains('Runs')",
            run: "click",
        },
        {
            content: "Start a new run",
            trigger: ".o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        {
            content: "Limit it to one customer",
            trigger: "div[name='partner_ids'] input",
            run: "edit Tour Customer",
        },
        {
            content: "Pick the customer",
            trigger: ".o-autocomplete--dropdown-item a:contains('Tour Customer SARL')",
            run: "click",
        },
        {
            content: "Preview what would go out",
            trigger: "button[name='action_preview']",
            run: "click",
        },
        {
            content: "The preview lists the customer at the edited level, with the fee",
            trigger: ".modal .o_data_row:contains('Tour Customer SARL'):contains('1 day overdue'):contains('12.00')",
        },
        {
            content: "Run it",
            trigger: ".modal-footer button[name='action_run']",
            run: "click",
        },
        {
            content: "Open the communication, held for validation",
            trigger: ".o_data_row:contains('Tour Customer SARL'):contains('To validate') td[name='name']",
            run: "click",
        },
        {
            content: "Validate it",
            trigger: "button[name='action_validate']",
            run: "click",
        },
        {
            content: "Send it",
            trigger: "button[name='action_send']",
            run: "click",
        },
        {
            content: "It is on its way",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Sending')",
        },
        {
            content: "It names its run with the noun, not the button's verb",
            trigger: ".o_form_view .o_form_label:contains('Dunning run')",
        },
        {
            content: "Back to the runs",
            trigger: ".o_main_navbar button:contains('Dunning')",
            run: "click",
        },
        {
            content: "Open the runs list",
            trigger: ".dropdown-item:contains('Runs')",
            run: "click",
        },
        {
            content: "Its columns say what they count",
            trigger: ".o_list_renderer th[data-name='communication_count']:contains('Reminders')",
        },
        {
            content: "...and which of them wait or failed",
            trigger: ".o_list_renderer th[data-name='to_validate_count']:contains('To validate') ~ th[data-name='error_count']:contains('In error')",
        },
    ],
});
