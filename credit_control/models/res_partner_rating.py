from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from .credit_value_bounds import AMOUNT, DATES

# Last-snapshot fields of the customer (company-dependent) and the snapshot column each copies.
LAST_SNAPSHOT_FIELDS = {
    "credit_snapshot_date": "date",
    "credit_snapshot_exposure": "exposure",
    "credit_snapshot_overdue": "overdue_amount",
    "credit_snapshot_overdue_days": "oldest_overdue_days",
    "credit_score": "score",
    "credit_suggested_grade_id": "suggested_grade_id",
    "credit_suggested_limit": "suggested_limit",
}

# Evidence fields a credit user (the controller at a review) fills in.
CREDIT_EVIDENCE_FIELDS = (
    "credit_established_on", "credit_financials_date", "credit_financials_currency_id", "credit_revenue",
    "credit_equity", "credit_current_ratio",
)


class ResPartner(models.Model):
    """Evidence for a customer's credit: its payment behaviour (live, from the behaviour
    engine), its last daily snapshot (stored per company, so that the Credit › Customers list
    sorts and filters on exposure, overdue and score), its score and the suggestions, its
    external ratings and the registration and financial figures a credit review fills in."""

    _inherit = "res.partner"

    credit_avg_days_to_pay = fields.Float(
        string="Average Days to Pay", compute="_compute_credit_behaviour", digits=(16, 2),
        help="Invoices paid in the last 12 months: days from the invoice date to the last payment, "
        "weighted by the amount paid. Credit notes are not payments.")
    credit_avg_days_late = fields.Float(
        string="Average Days Late", compute="_compute_credit_behaviour", digits=(16, 2),
        help="Invoices paid in the last 12 months: days from the due date (of each instalment) to "
        "the last payment, 0 when paid on time or early, weighted by the amount paid.")
    credit_on_time_share = fields.Float(
        string="Paid on Time (%)", compute="_compute_credit_behaviour", digits=(16, 2),
        help="Share of the amount paid in the last 12 months that was paid by its due date.")
    credit_dso = fields.Float(
        string="DSO (days)", compute="_compute_credit_behaviour", digits=(16, 2),
        help="Days sales outstanding: open receivable ÷ credit sales (invoices less credit notes) "
        "of the last 90 days × 90. 3650 when something is owed without sales in the 90 days.")
    credit_invoices_paid_count = fields.Integer(
        string="Invoices Paid (12 months)", compute="_compute_credit_behaviour",
        help="Invoices of which an instalment was fully paid in the last 12 months.")
    credit_highest_exposure = fields.Float(
        string="Highest Exposure (12 months)", compute="_compute_credit_behaviour",
        help="Highest total exposure of the daily credit snapshots of the last 12 months.")
    credit_dunning_steps = fields.Integer(
        string="Dunning Steps (12 months)", compute="_compute_credit_behaviour",
        help="Dunning steps (reminders, calls, letters...) executed in the last 12 months.")
    credit_disputes_12m = fields.Integer(
        string="Disputes (12 months)", compute="_compute_credit_behaviour",
        help="Invoice disputes opened in the last 12 months.")

    credit_snapshot_date = fields.Date(
        string="Snapshot Date", company_dependent=True, readonly=True,
        help="Day of the last daily credit snapshot.")
    credit_snapshot_exposure = fields.Float(
        string="Exposure (snapshot)", company_dependent=True, readonly=True,
        help="Total exposure at the last daily snapshot (company currency).")
    credit_snapshot_overdue = fields.Float(
        string="Overdue (snapshot)", company_dependent=True, readonly=True,
        help="Overdue amount at the last daily snapshot (company currency).")
    credit_snapshot_overdue_days = fields.Integer(
        string="Oldest Overdue (snapshot, days)", company_dependent=True, readonly=True,
        help="Days past due of the oldest overdue invoice at the last daily snapshot.")
    credit_over_limit = fields.Boolean(
        string="Over Limit", compute="_compute_credit_over_limit", search="_search_credit_over_limit",
        help="At the last daily snapshot, the exposure was above the credit limit.")
    credit_score = fields.Integer(
        company_dependent=True, readonly=True,
        help="Score 0-100 of the company's scorecard at the last daily snapshot.")
    credit_suggested_grade_id = fields.Many2one(
        "credit.grade", string="Suggested Grade", company_dependent=True, readonly=True,
        help="The grade with the highest minimum score the credit score reaches.")
    credit_suggested_limit = fields.Float(
        string="Suggested Limit", company_dependent=True, readonly=True,
        help="The company's limit rule applied at the last snapshot, capped by the suggested "
        "grade's maximum and by the insurance cover when the policy caps limits.")
    credit_score_breakdown_html = fields.Html(
        string="Score Breakdown", compute="_compute_credit_score_breakdown", sanitize=False)
    credit_snapshot_count = fields.Integer(compute="_compute_credit_score_breakdown")
    credit_rating_ids = fields.One2many("credit.rating", "partner_id", string="External Ratings")

    credit_established_on = fields.Date(
        string="Established On", help="Date the customer's business was founded or registered: "
        "the scorecard's years in business.")
    credit_financials_date = fields.Date(
        string="Financial Figures as of",
        help="Date of the financial statements the figures below come from. Without it, the "
        "figures are not scored. Filled in at a credit review.")
    credit_financials_currency_id = fields.Many2one(
        "res.currency", string="Financials Currency",
        help="Currency of the revenue and equity (default: the company's).")
    credit_revenue = fields.Float(string="Revenue", help="Yearly revenue of the customer.")
    credit_equity = fields.Float(string="Equity", help="Equity of the customer (may be negative).")
    credit_current_ratio = fields.Float(
        string="Current Ratio", digits=(16, 2), help="Current assets ÷ current liabilities.")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "credit_established_on": DATES, "credit_financials_date": DATES,
                "credit_revenue": AMOUNT, "credit_equity": (-AMOUNT[1], AMOUNT[1]),
                "credit_current_ratio": (0.0, 1000.0)}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "credit_financials_currency_id")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_credit_evidence_rights(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_credit_evidence_rights(vals)
        return super().write(vals)

    def _check_credit_evidence_rights(self, vals):
        """The last-snapshot fields are the daily job's (read-only in views is not enough over
        RPC); the registration and financial figures, which feed the score, are the credit
        users'."""
        if self.env.su:
            return
        if any(fname in vals for fname in LAST_SNAPSHOT_FIELDS):
            raise AccessError(self.env._(
                "The credit snapshot figures of a customer are written by the daily job only."))
        if (any(vals.get(fname) for fname in CREDIT_EVIDENCE_FIELDS)
                and not self.env.user.has_group("credit_control.group_credit_user")):
            raise AccessError(self.env._("Only credit users can enter a customer's financial figures."))

    @api.depends_context("company")
    def _compute_credit_behaviour(self):
        company = self.env.company
        figures = self.env["credit.behaviour.engine"]._compute_behaviour(self, company)
        for partner in self:
            values = figures[(partner.commercial_partner_id.id, company.id)]
            partner.credit_avg_days_to_pay = values["avg_days_to_pay"]
            partner.credit_avg_days_late = values["avg_days_late"]
            partner.credit_on_time_share = values["on_time_share"]
            partner.credit_dso = values["dso"]
            partner.credit_invoices_paid_count = values["invoices_paid_count"]
            partner.credit_highest_exposure = values["highest_exposure"]
            partner.credit_dunning_steps = values["dunning_steps"]
            partner.credit_disputes_12m = values["disputes"]

    @api.depends_context("company")
    def _compute_credit_over_limit(self):
        for partner in self:
            limit = partner.credit_limit
            partner.credit_over_limit = bool(limit > 0 and partner.credit_snapshot_exposure > limit)

    def _search_credit_over_limit(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        company = str(self.env.company.id)
        exposure = SQL("COALESCE((res_partner.credit_snapshot_exposure->>%s)::float, 0)", company)
        limit = SQL("COALESCE((res_partner.credit_limit->>%s)::float, 0)", company)
        query = SQL("SELECT id FROM res_partner WHERE %s > 0 AND %s > %s", limit, exposure, limit)
        return [("id", "in" if (operator == "=") == value else "not in", query)]

    @api.depends_context("company")
    def _compute_credit_score_breakdown(self):
        """The breakdown of each customer's last snapshot, and its number of snapshots (one query)."""
        company = self.env.company
        partner_ids = self.commercial_partner_id.ids
        self.env.cr.execute(SQL(
            """
            SELECT DISTINCT ON (partner_id) partner_id, id, COUNT(*) OVER (PARTITION BY partner_id)
              FROM credit_partner_snapshot
             WHERE partner_id = ANY(%s) AND company_id = %s
             ORDER BY partner_id, date DESC
            """, partner_ids, company.id))
        latest = {pid: (sid, count) for pid, sid, count in self.env.cr.fetchall()}
        snapshots = self.env["credit.partner.snapshot"].sudo().browse([sid for sid, _count in latest.values()])
        html = {snapshot.partner_id.id: snapshot.score_breakdown_html for snapshot in snapshots}
        for partner in self:
            pid = partner.commercial_partner_id.id
            partner.credit_score_breakdown_html = html.get(pid, False)
            partner.credit_snapshot_count = latest.get(pid, (0, 0))[1]

    def action_credit_trend(self):
        """The customer's daily snapshots as a graph of exposure, overdue and DSO over time."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_partner_snapshot_action")
        action.update(
            name=self.env._("Credit Trend of %s", self.commercial_partner_id.display_name),
            domain=[("partner_id", "=", self.commercial_partner_id.id),
                    ("company_id", "=", self.env.company.id)],
            context={"graph_mode": "line", "graph_groupbys": ["date:day"]},
            view_mode="graph,list,pivot",
        )
        action["views"] = [(False, mode) for mode in ("graph", "list", "pivot")]
        return action

    def action_credit_snapshot_now(self):
        """Refresh today's snapshot (score and suggestions) of these customers now (credit users)."""
        if not self.env.user.has_group("credit_control.group_credit_user"):
            raise AccessError(self.env._("Only credit users can refresh credit scores."))
        self.env["credit.partner.snapshot"]._snapshot(self.env.company, partners=self.commercial_partner_id)
        return True

    @api.model
    def _credit_update_last_snapshot(self, company, date, partner_ids):
        """Copy the snapshot of ``date`` onto the customers' last-snapshot fields in ``company``:
        one statement for all of them (company-dependent values are JSON keyed by company)."""
        cid = str(company.id)
        self.env.cr.execute(SQL(
            "UPDATE res_partner p SET %s FROM credit_partner_snapshot s"
            " WHERE s.partner_id = p.id AND s.company_id = %s AND s.date = %s AND s.partner_id = ANY(%s)",
            SQL(", ").join(
                SQL("%s = COALESCE(p.%s, '{}'::jsonb) || jsonb_build_object(%s::text, s.%s)",
                    SQL.identifier(fname), SQL.identifier(fname), cid, SQL.identifier(column))
                for fname, column in LAST_SNAPSHOT_FIELDS.items()),
            company.id, date, list(partner_ids)))
        self.invalidate_model(list(LAST_SNAPSHOT_FIELDS))
