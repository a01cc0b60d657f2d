import { registry } from "@web/core/registry";

// A credit user sorts the worklist, opens a customer's score and its credit trend.
registry.category("web_tour.tours").add("credit_control_scorecard_tour", {
    steps: () => [
        {
            content: "The credit customers list shows the score of the daily snapshot",
            trigger: ".o_list_view th[data-name=credit_score]",
        },
        {
            content: "Sort by exposure",
            trigger: ".o_list_view th[data-name=credit_snapshot_exposure]",
            run: "click",
        },
        {
            content: "Open a demo customer",
            trigger: ".o_list_view .o_data_row td:contains(Müller Maschinenbau GmbH)",
            run: "click",
        },
        {
            content: "Open the Credit tab",
            trigger: ".o_notebook a.nav-link[name=credit_control]",
            run: "click",
        },
        {
            content: "The payment behaviour is shown",
            trigger: ".o_field_widget[name=credit_dso]",
        },
        {
            content: "The score breakdown lists the factors",
            trigger: ".o_credit_score_breakdown td:contains(Average days late)",
        },
        {
            content: "Open the credit trend",
            trigger: "button[name=action_credit_trend]",
            run: "click",
        },
        {
            content: "The trend graph opens",
            trigger: ".o_graph_view .o_graph_renderer",
        },
    ],
});
