from odoo import fields, models


class CreditDunningRunLine(models.TransientModel):
    """One step the next dunning run would take: a customer, a level, its invoices."""

    _name = "credit.dunning.run.line"
    _description = "Planned Dunning Step"
    _order = "partner_id, max_days_overdue desc"

    run_id = fields.Many2one("credit.dunning.run", required=True, ondelete="cascade")
    company_id = fields.Many2one("res.company")
    partner_id = fields.Many2one("res.partner", string="Customer")
    level_id = fields.Many2one("credit.dunning.level")
    channel = fields.Selection(related="level_id.channel")
    move_ids = fields.Many2many("account.move", string="Invoices")
    max_days_overdue = fields.Integer(string="Days Overdue", aggregator="max")
    currency_id = fields.Many2one("res.currency")
    amount = fields.Monetary(string="Overdue Amount")
    has_email = fields.Boolean(string="Email Address")
