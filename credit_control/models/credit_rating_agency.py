from odoo import fields, models


class CreditRatingAgency(models.Model):
    """Who rates customers: a credit agency, a credit insurer, a bank. Each agency has its own
    scale (e.g. an insurer's grade 1-10, an agency's score 0-100); scorecard factors map it to
    points."""

    _name = "credit.rating.agency"
    _description = "Credit Rating Agency"
    _order = "name, id"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    partner_id = fields.Many2one("res.partner", string="Contact", help="The agency as a partner, if any.")
    scale = fields.Char(
        translate=True,
        help="How to read its ratings, e.g. \"score 0-100, higher is better\" or \"grade 1-10, 1 is best\".")

    _name_uniq = models.Constraint("UNIQUE (name)", "An agency with this name already exists.")
