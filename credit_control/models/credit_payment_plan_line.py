from datetime import date

from odoo import api, fields, models
from odoo.exceptions import UserError

from .credit_value_bounds import AMOUNT, DATES


class CreditPaymentPlanLine(models.Model):
    """One dated payment of a payment plan: the down payment or an instalment.

    Generated from the plan's count and first date, editable while the plan is a draft. What
    is paid comes from the covered invoices, in date order (see ``credit.payment.plan``).
    """

    _name = "credit.payment.plan.line"
    _description = "Payment Plan Instalment"
    _inherit = ["credit.value.bounds"]
    _order = "plan_id, date, sequence, id"

    plan_id = fields.Many2one("credit.payment.plan", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    sequence = fields.Integer(default=10)
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    interest = fields.Monetary(readonly=True, help="The interest included in the amount, when generated.")
    is_down_payment = fields.Boolean(string="Down Payment")
    amount_paid = fields.Monetary(compute="_compute_amount_paid", string="Paid")
    payment_state = fields.Selection(
        [("open", "To pay"), ("late", "Late"), ("partial", "Partly paid"), ("paid", "Paid")],
        compute="_compute_amount_paid", string="Status")

    _amount_positive = models.Constraint("CHECK (amount > 0)", "An instalment must be a positive amount.")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "amount": AMOUNT, "date": DATES}

    @api.depends("plan_id.amount_paid", "plan_id.line_ids.amount", "plan_id.line_ids.date")
    def _compute_amount_paid(self):
        """What the plan's payments cover of each line, in date order."""
        today = fields.Date.context_today(self)
        for plan in self.plan_id:
            left = plan.amount_paid
            for line in plan.line_ids.sorted(lambda line: (line.date or date.max, line.sequence)):
                paid = min(max(left, 0.0), line.amount)
                left -= paid
                line.amount_paid = paid
                currency = plan.currency_id
                if currency.compare_amounts(paid, line.amount) >= 0:
                    line.payment_state = "paid"
                elif line.date and line.date < today and plan.state != "draft":
                    line.payment_state = "late"
                else:
                    line.payment_state = "partial" if not currency.is_zero(paid) else "open"
        for line in self.filtered(lambda line: not line.plan_id):
            line.amount_paid, line.payment_state = 0.0, "open"

    @api.model_create_multi
    def create(self, vals_list):
        plans = self.env["credit.payment.plan"].browse([vals["plan_id"] for vals in vals_list if vals.get("plan_id")])
        self._check_draft(plans)
        return super().create(vals_list)

    def write(self, vals):
        self._check_draft(self.plan_id)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_draft_only(self):
        self._check_draft(self.plan_id)

    def _check_draft(self, plans):
        if not self.env.su and any(plan.state != "draft" for plan in plans):
            raise UserError(self.env._("Only the schedule of a draft payment plan can be changed."))
