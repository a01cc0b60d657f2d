from odoo import fields, models


class CreditReview(models.Model):
    """Reviews opened by a credit warning (its rule's action or a user's Open a Review)."""

    _inherit = "credit.review"

    origin = fields.Selection(selection_add=[("warning", "Credit warning")], ondelete={"warning": "set default"})
    warning_ids = fields.One2many("credit.warning", "review_id", string="Credit Warnings", readonly=True)
