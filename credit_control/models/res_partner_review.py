from odoo import api, fields, models
from odoo.exceptions import AccessError


class ResPartner(models.Model):
    """The customer's credit reviews in the current company and the button that opens one."""

    _inherit = "res.partner"

    credit_review_count = fields.Integer(compute="_compute_credit_review_count")

    @api.depends_context("company")
    def _compute_credit_review_count(self):
        counts = dict(self.env["credit.review"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)],
            ["partner_id"], ["__count"]))
        for partner in self:
            partner.credit_review_count = counts.get(partner.commercial_partner_id, 0)

    def action_credit_review(self):
        """Open the customer's open review in the current company, or a new one (on demand)."""
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_user"):
            raise AccessError(self.env._("Only credit users can open a credit review."))
        partner = self.commercial_partner_id
        company = self.env.company
        review = self.env["credit.review"].search([
            ("partner_id", "=", partner.id), ("company_id", "=", company.id),
            ("state", "in", ("draft", "proposed"))], limit=1)
        if not review:
            review = self.env["credit.review"]._open_reviews(partner, company, "manual", user=self.env.user)
        return {
            "type": "ir.actions.act_window", "res_model": "credit.review", "res_id": review.id,
            "view_mode": "form", "target": "current",
        }

    def action_view_credit_reviews(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_review_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_group_by": False}
        action["view_mode"] = "list,form,kanban"
        return action
