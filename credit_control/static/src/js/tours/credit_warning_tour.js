import { registry } from "@web/core/registry";

// A credit user sees the warning banner on a customer, opens its warnings and acknowledges one.
registry.category("web_tour.tours").add("credit_control_warning_tour", {
    steps: () => [
        {
            content: "The customer form warns of a new high-severity credit warning",
            trigger: "div[name=credit_warning_banner]:contains(high-severity credit warning)",
        },
        {
            content: "Open the customer's credit warnings from the smart button",
            trigger: "button.oe_stat_button[name=action_view_credit_warnings]",
            run: "click",
        },
        {
            content: "Open the lawsuit warning",
            trigger: ".o_list_view .o_data_row td:contains(Lawsuit)",
            run: "click",
        },
        {
            content: "The form shows the user's note",
            trigger: ".o_form_view .o_field_html:contains(Sued by a supplier)",
        },
        {
            content: "Acknowledge it",
            trigger: "button[name=action_acknowledge]",
            run: "click",
        },
        {
            content: "The warning is acknowledged",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Acknowledged)",
        },
    ],
});
