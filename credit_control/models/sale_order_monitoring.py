from odoo import api, fields, models


class SaleOrder(models.Model):
    """Quotations show the customer's open credit warnings, as information for the salesperson
    (signal and severity only; the warnings themselves are the credit users')."""

    _inherit = "sale.order"

    credit_warning_info = fields.Text(
        string="Credit Warnings", compute="_compute_credit_warning_info",
        help="Open credit warnings of the customer in the order's company.")

    @api.depends("partner_id", "company_id", "state")
    def _compute_credit_warning_info(self):
        quotations = self.filtered(lambda order: order.state in ("draft", "sent") and order.partner_id)
        (self - quotations).credit_warning_info = False
        if not quotations:
            return
        # Information only: the salesperson may not read warnings; only labels are shown.
        groups = self.env["credit.warning"].sudo()._read_group(
            [("partner_id", "in", quotations.partner_id.commercial_partner_id.ids),
             ("company_id", "in", quotations.company_id.ids), ("state", "!=", "closed")],
            ["partner_id", "company_id", "signal_type", "severity"], ["__count"])
        signals = dict(self.env["credit.warning"]._fields["signal_type"]._description_selection(self.env))
        severities = dict(self.env["credit.warning"]._fields["severity"]._description_selection(self.env))
        lines = {}
        for partner, company, signal, severity, _count in groups:
            lines.setdefault((partner.id, company.id), []).append(
                f"{signals.get(signal, signal)} ({severities.get(severity, severity)})")
        for order in quotations:
            found = lines.get((order.partner_id.commercial_partner_id.id, order.company_id.id))
            order.credit_warning_info = self.env._(
                "Open credit warnings: %(warnings)s", warnings=", ".join(found)) if found else False
