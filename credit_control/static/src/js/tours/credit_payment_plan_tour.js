import { registry } from "@web/core/registry";

// A credit user agrees a payment plan from the customer's Credit tab.
registry.category("web_tour.tours").add("credit_control_payment_plan_tour", {
    steps: () => [
        {
            content: "Open the Credit tab",
            trigger: 'a[name="credit_control"]',
            run: "click",
        },
        {
            content: "New payment plan",
            trigger: 'button[name="action_new_credit_payment_plan"]',
            run: "click",
        },
        {
            content: "The overdue invoice is covered",
            trigger: '.o_field_widget[name="amount_covered"]:contains(900.00)',
        },
        {
            content: "Two instalments",
            trigger: '.o_field_widget[name="instalment_count"] input',
            run: "edit 2",
        },
        {
            content: "Generate the schedule",
            trigger: 'button[name="action_generate_lines"]',
            run: "click",
        },
        {
            content: "The schedule has its two instalments",
            trigger: '.o_field_widget[name="line_ids"] .o_data_row:nth-child(2)',
        },
        {
            content: "The plan is a draft waiting for a credit manager",
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains(Draft)',
        },
    ],
});
