import { registry } from "@web/core/registry";

// A credit controller opens a due review from the kanban, sees the frozen figures, the score
// and the suggested grade, and proposes a higher limit than the suggestion.
registry.category("web_tour.tours").add("credit_control_review_propose_tour", {
    steps: () => [
        {
            content: "The due review is in the To Review column",
            trigger: ".o_kanban_group:contains(To Review) .o_kanban_record:contains(Tour Review Customer)",
            run: "click",
        },
        {
            content: "The exposure frozen at the review is shown",
            trigger: ".o_field_widget[name='exposure']:contains(900.00)",
        },
        {
            content: "So is the limit at the review",
            trigger: ".o_field_widget[name='credit_limit']:contains(1,000.00)",
        },
        {
            content: "The score frozen at the review is shown with its breakdown",
            trigger: ".o_field_widget[name='score_breakdown_html'] table.o_credit_score_breakdown td:contains(Average days late)",
        },
        {
            content: "So is the suggested grade, from which the proposal starts",
            trigger: ".o_field_widget[name='suggested_grade_id']:contains( - )",
        },
        {
            content: "Propose a higher limit",
            trigger: ".o_field_widget[name='proposed_limit'] input",
            run: "edit 2000",
        },
        {
            content: "Leave the field",
            trigger: ".o_notebook .nav-link:contains(Financial Statements)",
            run: "click",
        },
        {
            content: "The form warns that another manager must approve the raise",
            trigger: ".text-warning:contains(other than the proposer)",
        },
        {
            content: "Propose",
            trigger: "button[name='action_propose']",
            run: "click",
        },
        {
            content: "The review waits for a decision",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Proposed)",
        },
    ],
});

// A credit manager approves the proposal.
registry.category("web_tour.tours").add("credit_control_review_approve_tour", {
    steps: () => [
        {
            content: "The proposal is shown",
            trigger: ".o_field_widget[name='proposed_limit']:contains(2,000.00)",
        },
        {
            content: "Approve",
            trigger: "button[name='action_approve']",
            run: "click",
        },
        {
            content: "The review is approved",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Approved)",
        },
    ],
});
