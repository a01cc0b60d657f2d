from odoo import api, fields, models


class ResPartner(models.Model):
    """The customer's credit limit requests in the current company, and the button that asks
    for a new limit."""

    _inherit = "res.partner"

    credit_limit_request_count = fields.Integer(compute="_compute_credit_limit_request_count")

    @api.depends_context("company")
    def _compute_credit_limit_request_count(self):
        counts = dict(self.env["credit.limit.request"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)],
            ["partner_id"], ["__count"]))
        for partner in self:
            partner.credit_limit_request_count = counts.get(partner.commercial_partner_id, 0)

    def action_credit_limit_request(self):
        """Open the request form for this customer in the current company."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "credit_control.credit_limit_request_wizard_action")
        action["context"] = {"default_partner_id": self.commercial_partner_id.id,
                             "default_company_id": self.env.company.id}
        return action

    def action_view_credit_limit_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_limit_request_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action
