from odoo import fields, models

from ..models.credit_insurance_policy import COVER_SOURCES


class CreditInsuranceReportLine(models.TransientModel):
    """One buyer under one policy in the insured-exposure report (see its wizard)."""

    _name = "credit.insurance.report.line"
    _description = "Insured Exposure Report Line"
    _order = "policy_id, exposure desc, id"

    wizard_id = fields.Many2one("credit.insurance.report.wizard", required=True,
                                ondelete="cascade", index=True)
    policy_id = fields.Many2one("credit.insurance.policy", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Buyer", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    exposure = fields.Monetary(readonly=True)
    overdue = fields.Monetary(readonly=True)
    oldest_overdue_days = fields.Integer(string="Oldest Overdue (days)", readonly=True, aggregator="max")
    cover = fields.Monetary(string="Cover Granted", readonly=True)
    cover_source = fields.Selection(
        COVER_SOURCES,
        string="Cover Basis", readonly=True)
    insured = fields.Monetary(string="Insured Exposure", readonly=True)
    uninsured = fields.Monetary(readonly=True)
    late_count = fields.Integer(string="Past Notification Deadline", readonly=True,
                                help="Unpaid invoices past the notification deadline, not declared.")
    premium = fields.Monetary(string="Premium Estimate", readonly=True)
    claims_open = fields.Monetary(
        readonly=True, help="Indemnity still expected of the buyer's claims filed, accepted or partly paid.")
    claims_received = fields.Monetary(string="Indemnity Received", readonly=True,
                                      help="Indemnity received on the buyer's claims.")

    def action_open_invoices(self):
        """Drill down to the buyer's open customer invoices in the policy's company."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open invoices of %(buyer)s", buyer=self.partner_id.display_name),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("commercial_partner_id", "=", self.partner_id.id),
                       ("company_id", "=", self.company_id.id), ("state", "=", "posted"),
                       ("move_type", "in", ("out_invoice", "out_refund")),
                       ("payment_state", "in", ("not_paid", "partial"))],
            "context": {"create": False},
        }
