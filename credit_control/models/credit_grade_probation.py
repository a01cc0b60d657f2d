from odoo import api, fields, models

from .credit_value_bounds import AMOUNT, MONTHS, PERCENT


class CreditGrade(models.Model):
    """Staged limits of a grade: new customers start at a probation limit and step up as
    they pay on time (see ``credit.probation.engine``)."""

    _inherit = "credit.grade"

    probation_start_limit = fields.Monetary(
        string="Start Limit in Probation", tracking=True,
        help="Credit limit a new customer of this grade starts with. Zero: no probation.")
    probation_invoices = fields.Integer(
        string="Invoices Paid on Time per Step", default=3, tracking=True,
        help="Invoices paid within the grade's overdue tolerance needed for the next step.")
    probation_months = fields.Integer(
        string="Within (months)", default=6, tracking=True,
        help="Only invoices of the last months count for a step.")
    probation_step_mode = fields.Selection(
        [("percent", "Raise by a percentage"), ("amount", "Raise by an amount")],
        string="Step Rule", default="percent", required=True, tracking=True)
    probation_step_pct = fields.Float(string="Step (%)", default=50.0, tracking=True)
    probation_step_amount = fields.Monetary(string="Step Amount", tracking=True)
    probation_step_down = fields.Boolean(
        string="Step Down on Late Payment", tracking=True,
        help="An invoice paid (or still open) later than the tolerance takes the limit one step "
        "back, never below the start limit.")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "probation_start_limit": AMOUNT, "probation_invoices": (1, 1000),
                "probation_months": (1, MONTHS[1]), "probation_step_pct": PERCENT,
                "probation_step_amount": AMOUNT}

    def _probation_step(self, limit, currency, down=False):
        """The limit one step above (or below) ``limit``."""
        self.ensure_one()
        if self.probation_step_mode == "amount":
            new = limit - self.probation_step_amount if down else limit + self.probation_step_amount
        else:
            factor = 1 + self.probation_step_pct / 100.0
            new = limit / factor if down else limit * factor
        return currency.round(new)
