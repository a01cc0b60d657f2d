from odoo import fields, models


class CreditInsuranceClaimIndemnity(models.TransientModel):
    """The indemnity received on a claim: booked by ``credit.insurance.claim._register_indemnity``."""

    _name = "credit.insurance.claim.indemnity"
    _description = "Insurance Indemnity Received"

    claim_id = fields.Many2one("credit.insurance.claim", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="claim_id.currency_id")
    amount = fields.Monetary(required=True)
    date = fields.Date(required=True, default=fields.Date.context_today)

    def action_confirm(self):
        self.ensure_one()
        self.claim_id._register_indemnity(self.amount, self.date)
        return {"type": "ir.actions.act_window_close"}
