from odoo import fields, models


class CreditConcentrationLine(models.TransientModel):
    """One customer in the concentration report (see its wizard)."""

    _name = "credit.concentration.line"
    _description = "Credit Concentration Report Line"
    _order = "company_id, rank, id"

    wizard_id = fields.Many2one("credit.concentration.wizard", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    rank = fields.Integer(readonly=True, aggregator=False)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    grade_id = fields.Many2one("credit.grade", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    exposure = fields.Monetary(readonly=True)
    share = fields.Float(string="Share (%)", digits=(16, 2), readonly=True,
                         help="Share of the company's total exposure.")
