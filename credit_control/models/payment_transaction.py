from odoo import models


class PaymentTransaction(models.Model):
    """Odoo confirms a quotation itself once it is paid online; one the credit policy blocks
    stays a quotation, the payment kept (``sale.order._credit_hold_blocked``), instead of
    failing the payment's post-processing again at every retry."""

    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        held = self.env["sale.order"]
        for tx in self:
            # The quotation core would confirm (see super): the only order of the transaction,
            # paid enough.
            quotation = tx.sale_order_ids.filtered(lambda so: so.state in ("draft", "sent"))
            if len(tx.sale_order_ids) == 1 and quotation and quotation._is_confirmation_amount_reached():
                held |= quotation._credit_hold_blocked()
        return super(PaymentTransaction, self.filtered(
            lambda tx: not tx.sale_order_ids & held))._check_amount_and_confirm_order()
