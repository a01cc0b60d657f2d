from odoo import fields, models


class ResPartner(models.Model):
    """Payment plans of a customer, and a new one from its form."""

    _inherit = "res.partner"

    credit_payment_plan_ids = fields.One2many(
        "credit.payment.plan", "partner_id", string="Payment Plans", readonly=True)
    credit_payment_plan_count = fields.Integer(compute="_compute_credit_payment_plan_count")

    def _compute_credit_payment_plan_count(self):
        counts = dict(self.env["credit.payment.plan"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]))
        for partner in self:
            partner.credit_payment_plan_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_credit_payment_plans(self):
        self.ensure_one()
        partner = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_payment_plan_action")
        action["domain"] = [("partner_id", "=", partner.id)]
        action["context"] = {"default_partner_id": partner.id}
        return action

    def action_new_credit_payment_plan(self):
        """A draft plan covering the customer's overdue undisputed invoices in the company
        currency (the others can be chosen instead)."""
        self.ensure_one()
        partner = self.commercial_partner_id
        overdue = self.env["account.move"].search([
            ("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("commercial_partner_id", "=", partner.id),
            ("company_id", "=", self.env.company.id), ("amount_residual", ">", 0),
            ("credit_instalment_ids", "any", [("date_maturity", "<", fields.Date.context_today(self)),
                                              ("amount_residual", ">", 0)]),
            ("currency_id", "=", self.env.company.currency_id.id),
            ("credit_dispute_state", "!=", "open")])
        return self.env["credit.payment.plan"]._action_new(partner, overdue)
