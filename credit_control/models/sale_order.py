from odoo import api, fields, models


class SaleOrder(models.Model):
    """Sale orders are blocked at confirmation, not just warned, when they break the
    customer's credit policy; an approved release lets one order through."""

    _name = "sale.order"
    _inherit = ["sale.order", "credit.checked.document"]

    credit_release_ids = fields.One2many("credit.release.request", "order_id", string="Credit Releases")
    credit_partner_available = fields.Monetary(
        string="Available Credit", compute="_compute_credit_partner_available",
        currency_field="credit_company_currency_id")
    credit_company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency")
    credit_partner_controlled = fields.Boolean(compute="_compute_credit_partner_available")

    @api.depends("partner_id", "company_id")
    def _compute_credit_partner_available(self):
        engine = self.env["credit.exposure.engine"]
        for order in self:
            partner = order.partner_invoice_id.commercial_partner_id or order.partner_id.commercial_partner_id
            controlled = bool(partner) and engine._is_controlled(partner, order.company_id)
            order.credit_partner_controlled = controlled
            order.credit_partner_available = (
                partner.with_company(order.company_id).sudo().credit_available if controlled else 0.0)

    @api.model
    def _credit_block_depends(self):
        return ["partner_id", "partner_invoice_id", "amount_total", "payment_term_id", "state",
                "company_id", "currency_id"]

    def _credit_values(self):
        self.ensure_one()
        paid = self.amount_paid
        return {
            "amount": max(self.amount_total - paid, 0.0),
            "counted": 0.0,
            "payment_term": self.payment_term_id,
            "prepaid": self.currency_id.compare_amounts(paid, self.amount_total) >= 0,
            "date": fields.Date.context_today(self),
        }

    def _credit_check_applies(self):
        self.ensure_one()
        return self.state in ("draft", "sent") and self.company_id.credit_block_sales

    def _confirmation_error_message(self):
        error = super()._confirmation_error_message()
        return error or self._credit_error_message()

    def action_confirm(self):
        if len(self) > 1:
            # One at a time, so that each order's check counts the ones confirmed before it.
            for order in self:
                order.action_confirm()
            return True
        result = super().action_confirm()
        self._credit_consume_releases()
        return result
