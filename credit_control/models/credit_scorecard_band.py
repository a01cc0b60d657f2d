from odoo import api, fields, models


class CreditScorecardBand(models.Model):
    """A range of a factor's value and its points: from ``value_from`` (included) up to the
    next band's lower bound."""

    _name = "credit.scorecard.band"
    _description = "Credit Scorecard Band"
    _inherit = ["credit.value.bounds"]
    _order = "factor_id, value_from, id"

    factor_id = fields.Many2one("credit.scorecard.factor", required=True, index=True, ondelete="cascade")
    value_from = fields.Float(
        string="From Value", digits=(16, 2), required=True,
        help="The band applies from this value (included) up to the next band's value; the lowest "
        "band also applies below it.")
    points = fields.Integer(required=True, help="Points (0-100) of a value in this band.")

    _points_range = models.Constraint("CHECK (points >= 0 AND points <= 100)",
                                      "A band gives between 0 and 100 points.")
    _factor_value_uniq = models.Constraint("UNIQUE (factor_id, value_from)",
                                           "Two bands of a factor cannot start at the same value.")

    @api.depends("value_from", "points")
    def _compute_display_name(self):
        for band in self:
            band.display_name = self.env._("from %(value)s: %(points)s pts", value=f"{band.value_from:g}",
                                           points=band.points)

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "points": (0, 100), "value_from": (-1e12, 1e12)}
