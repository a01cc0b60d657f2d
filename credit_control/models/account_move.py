from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    """Customer invoices show the credit banner; when the company asks for it, posting one
    over the policy is blocked with the same check and release rule as sale orders."""

    _name = "account.move"
    _inherit = ["account.move", "credit.checked.document"]

    credit_release_ids = fields.One2many("credit.release.request", "move_id", string="Credit Releases")

    # The exposure engine's draft-invoice component, at every credit check: a small index,
    # as it holds the draft entries only.
    _credit_draft_partner_idx = models.Index("(commercial_partner_id, company_id) WHERE state = 'draft'")

    @api.model
    def _credit_block_depends(self):
        return ["partner_id", "amount_total", "invoice_payment_term_id", "state", "move_type",
                "company_id", "currency_id"]

    def _credit_values(self):
        self.ensure_one()
        amount = self.amount_total * (-1 if self.move_type == "out_refund" else 1)
        return {
            "amount": amount,
            # A saved draft invoice is already in the exposure's draft-invoice component.
            "counted": amount if self.id and self._origin.state == "draft" else 0.0,
            "payment_term": self.invoice_payment_term_id,
            "prepaid": False,
            "date": self.invoice_date or fields.Date.context_today(self),
        }

    def _credit_check_applies(self):
        self.ensure_one()
        return (self.move_type == "out_invoice" and self.state == "draft"
                and self.company_id.credit_block_invoice_posting)

    def _credit_banner_applies(self):
        self.ensure_one()
        return self.move_type == "out_invoice" and self.state == "draft"

    def _post(self, soft=True):
        for move in self:
            if move._credit_check_applies():
                error = move._credit_error_message()
                if error:
                    raise UserError(error)
        posted = super()._post(soft=soft)
        posted._credit_consume_releases()
        return posted
