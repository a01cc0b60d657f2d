from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .credit_value_bounds import AMOUNT


class CreditDispute(models.Model):
    """A customer's dispute of an invoice: while it is open the invoice is left out of dunning
    and of the overdue figures, and shown as disputed in the exposure. Resolving it lets the
    dunning resume at the level due on that day."""

    _name = "credit.dispute"
    _description = "Invoice Dispute"
    _inherit = ["mail.thread", "credit.value.bounds"]
    _order = "state desc, id desc"
    _check_company_auto = True

    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, index=True, ondelete="restrict",
        check_company=True, tracking=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), ('company_id', '=', company_id)]")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company)
    partner_id = fields.Many2one(
        related="move_id.commercial_partner_id", string="Customer", store=True, index=True)
    currency_id = fields.Many2one(related="move_id.currency_id", store=True)
    amount = fields.Monetary(
        string="Disputed Amount", required=True, tracking=True,
        help="Part of the invoice the customer contests, in the invoice currency.")
    reason = fields.Selection(
        [("quality", "Quality"), ("delivery", "Quantity or delivery"), ("price", "Price"),
         ("not_ordered", "Not ordered"), ("other", "Other")],
        required=True, default="quality", tracking=True)
    note = fields.Text()
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved")], default="open", required=True,
        readonly=True, index=True, tracking=True)
    opened_by_id = fields.Many2one(
        "res.users", readonly=True, default=lambda self: self.env.user)
    resolved_by_id = fields.Many2one("res.users", readonly=True)
    resolved_date = fields.Date(readonly=True)
    resolution = fields.Text()

    _one_open_per_invoice = models.UniqueIndex(
        "(move_id) WHERE state = 'open'", "This invoice already has an open dispute.")
    _amount_positive = models.Constraint("CHECK (amount > 0)", "The disputed amount must be positive.")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "amount": AMOUNT}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "move_id", "company_id")

    @api.depends("move_id.name", "reason")
    def _compute_display_name(self):
        labels = dict(self._fields["reason"]._description_selection(self.env))
        for dispute in self:
            dispute.display_name = self.env._(
                "Dispute %(invoice)s (%(reason)s)", invoice=dispute.move_id.name or "",
                reason=labels.get(dispute.reason, ""))

    @api.constrains("move_id", "amount")
    def _check_invoice(self):
        for dispute in self:
            move = dispute.move_id
            if move.move_type != "out_invoice" or move.state != "posted":
                raise ValidationError(self.env._(
                    "Only posted customer invoices can be disputed (%(move)s).", move=move.display_name))
            if move.currency_id.compare_amounts(dispute.amount, move.amount_total) > 0:
                raise ValidationError(self.env._(
                    "The disputed amount %(amount)s %(currency)s is more than the invoice total "
                    "%(total)s %(currency)s.", amount=dispute.amount, total=move.amount_total,
                    currency=move.currency_id.name))

    @api.model_create_multi
    def create(self, vals_list):
        disputes = super().create(vals_list)
        for dispute in disputes:
            body = self.env._(
                "Invoice disputed (%(reason)s) for %(amount)s %(currency)s: dunning suspended.%(note)s",
                reason=dispute.display_name, amount=dispute.amount, currency=dispute.currency_id.name,
                note=f" {dispute.note}" if dispute.note else "")
            dispute.move_id.message_post(body=body)
        return disputes

    def write(self, vals):
        if any(dispute.state == "resolved" for dispute in self) and set(vals) - {"resolution"}:
            raise UserError(self.env._("A resolved dispute cannot be changed."))
        return super().write(vals)

    def action_resolve(self):
        """Close the dispute: the invoice goes back into the overdue figures and dunning."""
        if any(dispute.state != "open" for dispute in self):
            raise UserError(self.env._("Only an open dispute can be resolved."))
        self.write({"state": "resolved", "resolved_by_id": self.env.uid,
                    "resolved_date": fields.Date.context_today(self)})
        for dispute in self:
            dispute.move_id.message_post(body=self.env._(
                "Dispute resolved: dunning resumes.%(resolution)s",
                resolution=f" {dispute.resolution}" if dispute.resolution else ""))
        return True
