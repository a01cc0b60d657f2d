import bisect

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .credit_scorecard import FACTORS
from .credit_value_bounds import PERCENT, SEQUENCE


class CreditScorecardFactor(models.Model):
    """One weighted factor of a scorecard and the bands mapping its value to points."""

    _name = "credit.scorecard.factor"
    _description = "Credit Scorecard Factor"
    _inherit = ["credit.value.bounds"]
    _order = "scorecard_id, sequence, id"

    scorecard_id = fields.Many2one("credit.scorecard", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="scorecard_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    factor = fields.Selection(FACTORS, required=True)
    agency_id = fields.Many2one(
        "credit.rating.agency", ondelete="restrict",
        help="External rating factor: whose rating (the latest one of the customer) is scored.")
    weight = fields.Float(
        default=10.0, required=True,
        help="Relative weight of the factor in the score: the score is the weighted average of "
        "the points of the factors measured for the customer.")
    band_ids = fields.One2many("credit.scorecard.band", "factor_id", string="Bands", copy=True)
    band_summary = fields.Char(string="Bands Summary", compute="_compute_band_summary")

    _weight_range = models.Constraint("CHECK (weight >= 0 AND weight <= 100)",
                                      "A factor's weight is between 0 and 100.")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "weight": PERCENT, "sequence": SEQUENCE}

    @api.constrains("factor", "agency_id")
    def _check_agency(self):
        for factor in self:
            if (factor.factor == "rating") != bool(factor.agency_id):
                raise ValidationError(self.env._(
                    "An external rating factor needs an agency, and only that factor has one."))

    @api.depends("factor", "agency_id")
    def _compute_display_name(self):
        labels = dict(self._fields["factor"]._description_selection(self.env))
        for factor in self:
            label = labels.get(factor.factor, "")
            factor.display_name = f"{label} ({factor.agency_id.name})" if factor.agency_id else label

    @api.depends("band_ids.value_from", "band_ids.points")
    def _compute_band_summary(self):
        for factor in self:
            factor.band_summary = " · ".join(factor.band_ids.sorted("value_from").mapped("display_name"))

    def _band_table(self):
        """The bands as ``([lower bounds], [points])``, sorted by lower bound."""
        self.ensure_one()
        bands = self.band_ids.sorted("value_from")
        return bands.mapped("value_from"), bands.mapped("points")

    def _points(self, value, table=None):
        """Points of ``value``: those of the band with the highest lower bound at most the
        value (the lowest band also takes anything below it); None for no value or no band.
        ``table`` is :meth:`_band_table`, given when scoring many customers."""
        bounds, points = table or self._band_table()
        if value is None or not bounds:
            return None
        return points[max(bisect.bisect_right(bounds, value) - 1, 0)]
