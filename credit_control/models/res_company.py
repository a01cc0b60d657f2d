from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .credit_limitation_period import MAX_YEARS
from .credit_value_bounds import DAYS, MONTHS, PERCENT

STATEMENT_LINES = (0, 1_000_000)  # detail lines of a statement printed in full


class ResCompany(models.Model):
    _name = "res.company"
    _inherit = ["res.company", "credit.value.bounds"]

    credit_block_sales = fields.Boolean(
        string="Block Sales over Credit Policy", default=True,
        help="Refuse to confirm sale orders of customers with a credit limit, grade or hold "
        "when the order breaks the credit policy.")
    credit_tolerance_pct = fields.Float(
        string="Credit Limit Tolerance (%)", default=0.0,
        help="Exposure may exceed the credit limit by this percentage before orders are blocked.")
    credit_default_grade_id = fields.Many2one(
        "credit.grade", string="Default Grade for New Customers",
        domain="[('company_id', 'in', [id, False])]")
    credit_block_invoice_posting = fields.Boolean(
        string="Block Posting of Customer Invoices over the Limit", default=False,
        help="Apply the same credit check when a customer invoice is posted.")
    credit_dunning_procedure_id = fields.Many2one(
        "credit.dunning.procedure", string="Default Dunning Procedure",
        domain="[('company_id', 'in', [id, False])]",
        help="Applies to customers whose grade has no procedure and who have none of their own.")
    credit_dunning_fee_mode = fields.Selection(
        [("invoice", "Separate posted invoice"), ("line", "Line on the customer's next (draft) invoice")],
        string="Dunning Fees", default="invoice", required=True,
        help="How the fee of a dunning level is charged.")
    credit_dunning_fee_product_id = fields.Many2one(
        "product.product", string="Dunning Fee Product",
        help="Product of dunning fee lines (default: the module's Dunning Fee service).")
    credit_scorecard_id = fields.Many2one(
        "credit.scorecard", domain="[('company_id', 'in', [id, False])]",
        help="How the daily job scores the company's customers (default: the first active scorecard "
        "of the company or shared).")
    credit_limit_rule = fields.Selection(
        [("none", "No suggested limit"), ("sales", "Share of the last 12 months' sales"),
         ("revenue", "Share of the declared revenue")],
        string="Suggested Limit Rule", default="sales", required=True,
        help="How the suggested credit limit is computed. It is never above the suggested grade's "
        "maximum limit, nor above the insurance cover when the insurance policy caps limits.")
    credit_limit_rule_pct = fields.Float(
        string="Suggested Limit Share (%)", default=20.0,
        help="Share of the sales or of the revenue given as suggested credit limit.")
    credit_snapshot_retention_months = fields.Integer(
        string="Snapshot Retention (months)", default=24,
        help="Daily credit snapshots older than this are deleted by the daily job (0: kept forever).")
    credit_review_user_id = fields.Many2one(
        "res.users", string="Credit Review Responsible",
        domain="[('share', '=', False), ('company_ids', 'in', id)]",
        help="Who prepares the credit reviews the daily job opens (default: the first credit manager).")
    credit_probation_mode = fields.Selection(
        [("propose", "Propose to the credit managers"), ("apply", "Apply automatically")],
        string="Probation Steps", default="propose", required=True,
        help="Whether the daily job applies the step-ups of customers in probation or proposes them "
        "to the credit managers (step-downs are always applied).")
    credit_monitoring_date = fields.Date(
        string="Credit Warnings Detected on", readonly=True,
        help="Last day the daily job detected the credit warnings of this company.")

    credit_plan_grace_days = fields.Integer(
        string="Payment Plan Grace Days", default=5,
        help="Default days an instalment of a payment plan may be late before the plan is broken.")
    credit_plan_overdue_by_plan = fields.Boolean(
        string="Credit Check Judges Payment Plans", default=True,
        help="While a payment plan is active, the overdue tolerance of the credit check looks at "
        "the plan's instalments instead of the covered invoices' due dates.")

    credit_late_interest_rate = fields.Float(
        string="Late Interest (% a year)", digits=(5, 2),
        help="Simple interest (actual/365) on overdue instalments, from their due date to their "
        "payment; a grade may set its own rate. 0: no interest.")
    credit_late_interest_invoicing = fields.Selection(
        [("step", "At each dunning step that charges it"),
         ("monthly", "Monthly, for the interest charged in the month")],
        string="Interest Invoicing", default="step", required=True,
        help="At each dunning step: the step posts an interest invoice per customer and currency. "
        "Monthly: the steps record the interest charged, and on the first days of the next month "
        "one posted invoice per customer and currency bills all of it (fewer, fuller invoices).")

    credit_limitation_years = fields.Integer(
        string="Limitation Period (years)", default=3,
        help="An invoice's claim is time-barred this many years after its due date, unless the "
        "customer's country has its own period. 0: not followed.")
    credit_limitation_alert_days = fields.Integer(
        string="Limitation Alert (days before)", default=90,
        help="Credit managers get an activity this many days before an open invoice's claim expires.")

    credit_statement_detail_lines = fields.Integer(
        string="Statement Detail Lines", default=500,
        help="A statement of account listing more documents, open items and interest items than "
        "this is printed as a summary by month, with the full detail in a spreadsheet (XLSX) "
        "attached. 0: no limit.")

    @api.constrains("credit_tolerance_pct")
    def _check_credit_tolerance_pct(self):
        for company in self:
            if not 0.0 <= company.credit_tolerance_pct <= 100.0:
                raise ValidationError(self.env._(
                    "The credit limit tolerance must be between 0 and 100 %% (got %(value)s).",
                    value=company.credit_tolerance_pct))

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "credit_limit_rule_pct": PERCENT,
                "credit_snapshot_retention_months": MONTHS, "credit_plan_grace_days": DAYS,
                "credit_late_interest_rate": PERCENT, "credit_limitation_years": (0, MAX_YEARS),
                "credit_limitation_alert_days": DAYS, "credit_statement_detail_lines": STATEMENT_LINES}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "credit_default_grade_id",
                "credit_dunning_procedure_id", "credit_dunning_fee_product_id", "credit_scorecard_id",
                "credit_review_user_id")

    def _credit_managers(self):
        """Active internal users of the Credit Manager group who work in this company (not
        OdooBot): whom credit activities go to."""
        self.ensure_one()
        root = self.env.ref("base.user_root")
        return self.env.ref("credit_control.group_credit_manager").sudo().all_user_ids.filtered(
            lambda user: not user.share and user.active and self in user.company_ids and user != root)
