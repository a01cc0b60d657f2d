from odoo import api, fields, models


class CreditLimitRequestWizard(models.TransientModel):
    """The form in which a salesperson or credit user asks for a new credit limit, from the
    customer or from a blocked quotation. It only collects the request: every check and the
    record itself are :meth:`credit.limit.request._request`'s."""

    _name = "credit.limit.request.wizard"
    _description = "Request a Credit Limit"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, domain="[('is_company', '=', True)]")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    order_id = fields.Many2one("sale.order", string="Blocked Quotation", readonly=True)
    current_limit = fields.Monetary(compute="_compute_current")
    current_exposure = fields.Monetary(compute="_compute_current")
    limit_type = fields.Selection(
        [("permanent", "Permanent"), ("temporary", "Temporary")],
        string="Type", required=True, default="permanent")
    requested_limit = fields.Monetary(
        required=True, default=lambda self: self._default_requested_limit())
    date_end = fields.Date(string="Valid until")
    reason = fields.Text(required=True)

    @api.model
    def _default_requested_limit(self):
        """From a blocked quotation: the exposure with the order, so that it would pass."""
        order = self.env["sale.order"].browse(self.env.context.get("default_order_id")).exists()
        if not order:
            return 0.0
        company = order.company_id
        partner = order.partner_id.commercial_partner_id.with_company(company).sudo()
        amount = order.currency_id._convert(
            order.amount_total, company.currency_id, company, fields.Date.context_today(self))
        return company.currency_id.round(partner.credit_exposure + amount)

    @api.depends("partner_id", "company_id")
    def _compute_current(self):
        for wizard in self:
            # A salesperson may not read limits (core restricts them to accounting): the
            # figures are shown for the request, never written.
            partner = wizard.partner_id.commercial_partner_id.with_company(wizard.company_id).sudo()
            wizard.current_limit = partner.credit_limit if partner else 0.0
            wizard.current_exposure = partner.credit_exposure if partner else 0.0

    def action_request(self):
        self.ensure_one()
        request = self.env["credit.limit.request"]._request(
            self.partner_id, self.company_id, self.requested_limit, self.reason,
            limit_type=self.limit_type, date_end=self.date_end, order=self.order_id)
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {
                "type": "success", "sticky": False,
                "message": self.env._("%s requested: the credit managers have an activity.",
                                      request._describe()),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
