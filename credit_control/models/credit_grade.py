from odoo import api, fields, models
from odoo.tools import ormcache

from .credit_value_bounds import AMOUNT, DATES, DAYS, MONTHS, PERCENT, SEQUENCE, shift_date


class CreditGrade(models.Model):
    """A risk grade (e.g. A-E) and the credit policy it imposes on its customers.

    The grade bounds the credit limit a manager may give, the payment terms a salesperson may
    use, how much overdue is tolerated before credit sales stop and whether prepayment is due.
    """

    _name = "credit.grade"
    _description = "Credit Grade"
    _inherit = ["mail.thread", "credit.cached.rules", "credit.value.bounds"]
    _order = "sequence, code, id"
    _check_company_auto = True

    code = fields.Char(required=True, tracking=True)
    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index=True,
        help="Leave empty to use this grade in every company.")
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id",
        help="The maximum limit and the overdue tolerance are in this company currency.")
    min_score = fields.Integer(
        string="Minimum Score", tracking=True,
        help="Lowest credit score (0-100, from the scorecard) of the grade's customers: the "
        "suggested grade of a customer is the grade with the highest minimum score its score reaches.")
    max_credit_limit = fields.Monetary(
        string="Maximum Credit Limit", tracking=True,
        help="Highest credit limit a customer of this grade may be given (company currency). "
        "Zero means no cap.")
    late_interest_rate = fields.Float(
        string="Late Interest (% a year)", digits=(5, 2), tracking=True,
        help="Interest on this grade's overdue instalments; leave 0 to use the company's rate.")
    allowed_payment_term_ids = fields.Many2many(
        "account.payment.term", string="Allowed Payment Terms", check_company=True,
        help="Payment terms a sale order of a customer of this grade may use. Empty: any.")
    overdue_tolerance_days = fields.Integer(
        string="Overdue Tolerance (days)", tracking=True,
        help="Credit sales stop when the oldest overdue invoice is overdue by more days than "
        "this and the overdue amount exceeds the amount tolerance.")
    overdue_tolerance_amount = fields.Monetary(
        string="Overdue Tolerance (amount)", tracking=True,
        help="Overdue amount (company currency) tolerated whatever its age.")
    prepayment_required = fields.Boolean(
        tracking=True, help="Orders of customers of this grade must be paid before confirmation.")
    review_interval_months = fields.Integer(
        string="Review Interval (months)", default=12, tracking=True,
        help="How often the credit of a customer of this grade is reviewed.")
    note = fields.Html(translate=True)
    dunning_procedure_id = fields.Many2one(
        "credit.dunning.procedure", tracking=True,
        help="How overdue invoices of customers of this grade are chased (a customer may override it).")
    partner_count = fields.Integer(compute="_compute_partner_count")

    _credit_cached_fields = frozenset({
        "overdue_tolerance_days", "overdue_tolerance_amount", "allowed_payment_term_ids",
        "prepayment_required"})

    _code_company_uniq = models.Constraint(
        "UNIQUE NULLS NOT DISTINCT (code, company_id)",
        "A grade code must be unique per company.",
    )
    _max_limit_positive = models.Constraint(
        "CHECK (max_credit_limit >= 0 AND overdue_tolerance_amount >= 0 "
        "AND overdue_tolerance_days >= 0 AND review_interval_months >= 0)",
        "The maximum limit, the tolerances and the review interval cannot be negative.",
    )

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "sequence": SEQUENCE, "color": (0, 11), "min_score": (0, 100),
                "max_credit_limit": AMOUNT, "overdue_tolerance_days": DAYS,
                "overdue_tolerance_amount": AMOUNT, "review_interval_months": MONTHS,
                "late_interest_rate": PERCENT}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "company_id", "dunning_procedure_id")

    @api.depends("company_id")
    @api.depends_context("company")
    def _compute_currency_id(self):
        for grade in self:
            grade.currency_id = (grade.company_id or self.env.company).currency_id

    @api.depends_context("company")
    def _compute_partner_count(self):
        counts = dict(self.env["res.partner"]._read_group(
            [("credit_grade_id", "in", self.ids)], ["credit_grade_id"], ["__count"]))
        for grade in self:
            grade.partner_count = counts.get(grade, 0)

    @api.depends("code", "name")
    def _compute_display_name(self):
        for grade in self:
            grade.display_name = f"{grade.code} - {grade.name}" if grade.code else grade.name

    def action_view_partners(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers of grade %s", self.display_name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("credit_grade_id", "=", self.id)],
        }

    @api.model
    @ormcache("grade_id")
    def _credit_rules(self, grade_id):
        """``(overdue tolerance days, overdue tolerance amount, allowed payment term ids,
        prepayment required)`` of a grade. Every credit check reads them: they are kept in the
        registry cache, which a change of the grade clears (``credit.cached.rules``)."""
        grade = self.sudo().with_context(active_test=False).browse(grade_id)
        return (grade.overdue_tolerance_days, grade.overdue_tolerance_amount,
                frozenset(grade.allowed_payment_term_ids.ids), grade.prepayment_required)

    def _next_review_date(self, from_date=None):
        """Date of the next credit review for a customer graded today with this grade."""
        self.ensure_one()
        if not self.review_interval_months:
            return False
        review = shift_date(from_date or fields.Date.context_today(self), months=self.review_interval_months)
        return review if review <= DATES[1] else False  # an interval stored before its bounds
