from odoo import api, fields, models

# Thirty years: the longest limitation period of any legal system (e.g. judgments)
MAX_YEARS = 30


class CreditLimitationPeriod(models.Model):
    """A country's limitation period for trade debts, overriding the company's: a customer's
    invoices in that country expire (can no longer be claimed in court) so many years after
    their due date."""

    _name = "credit.limitation.period"
    _description = "Limitation Period by Country"
    _inherit = ["credit.value.bounds"]
    _order = "company_id, country_id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    country_id = fields.Many2one("res.country", required=True)
    years = fields.Integer(required=True, default=3)

    _country_unique = models.Constraint(
        "UNIQUE (company_id, country_id)", "A country has one limitation period per company.")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "years": (1, MAX_YEARS)}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "company_id", "country_id")
