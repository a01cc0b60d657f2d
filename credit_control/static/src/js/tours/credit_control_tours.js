import { registry } from "@web/core/registry";

// A credit user finds the Credit app, its customers, and the Credit Control settings.
registry.category("web_tour.tours").add("credit_control_menu_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Credit app",
            trigger: '.o_app[data-menu-xmlid="credit_control.menu_credit_root"]',
            run: "click",
        },
        {
            content: "The app opens on the credit overview",
            trigger: ".o_credit_overview .o_credit_card_exposure",
        },
        {
            content: "Open the Customers menu",
            trigger: 'button[data-menu-xmlid="credit_control.menu_credit_customers"]',
            run: "click",
        },
        {
            content: "Open the credit customers",
            trigger: 'a[data-menu-xmlid="credit_control.menu_credit_customer_list"]',
            run: "click",
        },
        {
            content: "The credit customers list opens with the demo customers",
            trigger: ".o_list_view .o_data_row td:contains(Dupont Distribution SARL)",
        },
        {
            content: "Open Configuration",
            trigger: 'button[data-menu-xmlid="credit_control.menu_credit_config"]',
            run: "click",
        },
        {
            content: "Open Settings",
            trigger: 'a[data-menu-xmlid="credit_control.menu_credit_settings"]',
            run: "click",
        },
        {
            content: "The Credit Control section is there",
            trigger: ".o_setting_box:contains(Block Sales over Credit Policy)",
        },
    ],
});

// A salesperson hits the credit block and asks for a release.
registry.category("web_tour.tours").add("credit_control_request_release_tour", {
    steps: () => [
        {
            content: "The quotation shows why it would be blocked",
            trigger: ".o_credit_block_message:contains(Credit limit exceeded)",
        },
        {
            content: "Confirming is refused with the reason",
            trigger: 'button[name="action_confirm"]:visible',
            run: "click",
        },
        {
            content: "The error dialog lists the credit reason",
            trigger: ".modal-body:contains(Credit limit exceeded)",
        },
        {
            content: "Close the dialog",
            trigger: ".modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "Request a release",
            trigger: 'button[name="action_credit_release_request"]',
            run: "click",
        },
        {
            content: "The order now waits for a credit manager",
            trigger: ".alert-info:contains(waiting for a credit manager)",
        },
    ],
});

// A credit manager approves the pending release.
registry.category("web_tour.tours").add("credit_control_approve_release_tour", {
    steps: () => [
        {
            content: "Approve",
            trigger: 'button[name="action_approve"]',
            run: "click",
        },
        {
            content: "The request is approved",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Approved)",
        },
    ],
});

// The salesperson confirms the released order.
registry.category("web_tour.tours").add("credit_control_confirm_released_tour", {
    steps: () => [
        {
            content: "The approval is shown",
            trigger: ".alert-success:contains(approved a release)",
        },
        {
            content: "Confirm",
            trigger: 'button[name="action_confirm"]:visible',
            run: "click",
        },
        {
            content: "The order is confirmed",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Sales Order)",
        },
    ],
});

// A credit user runs the aging report and sees the bucket columns of the chosen boundaries.
registry.category("web_tour.tours").add("credit_control_aging_tour", {
    steps: () => [
        {
            content: "Show the aging in the ERP",
            trigger: 'button[name="action_view"]',
            run: "click",
        },
        {
            content: "The columns are titled after the buckets",
            trigger: ".o_list_view th[data-name='bucket_1']:contains(1-30)",
        },
        {
            content: "Unused buckets are hidden",
            trigger: ".o_list_view:not(:has(th[data-name='bucket_7']))",
        },
    ],
});

// The overview's figures open their lists: the blocked quotations.
registry.category("web_tour.tours").add("credit_control_overview_tour", {
    steps: () => [
        {
            content: "The overview counts the blocked quotation",
            trigger: ".o_credit_card_blocked .text-danger:contains(1)",
        },
        {
            content: "The aging chart is drawn",
            trigger: ".o_credit_overview .o_credit_bars",
        },
        {
            content: "Open the blocked quotations",
            trigger: ".o_credit_card_blocked",
            run: "click",
        },
        {
            content: "The list is filtered on Blocked by Credit",
            trigger: '.o_searchview_facet:contains("Blocked by Credit")',
        },
        {
            content: "It shows the blocked quotation",
            trigger: ".o_list_view .o_data_row td:contains(Tour Customer)",
        },
    ],
});

// A credit user sends a statement of account from the customer form.
registry.category("web_tour.tours").add("credit_control_statement_tour", {
    steps: () => [
        {
            content: "Open the Credit tab",
            trigger: '.o_notebook a[name="credit_control"]',
            run: "click",
        },
        {
            content: "Open the statement of account",
            trigger: 'button:contains("Statement of Account")',
            run: "click",
        },
        {
            content: "The wizard counts one customer",
            trigger: '.modal div[name="partner_count"]:contains(1)',
        },
        {
            content: "Send it by email",
            trigger: '.modal button[name="action_send"]',
            run: "click",
        },
        {
            content: "The wizard closes with a confirmation",
            trigger: '.o_notification:contains("1 statements queued by email")',
        },
    ],
});
