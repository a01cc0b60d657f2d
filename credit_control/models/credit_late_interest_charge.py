from odoo import api, fields, models
from odoo.exceptions import UserError


class CreditLateInterestCharge(models.Model):
    """Late-payment interest invoiced on one instalment for the days from ``date_from`` to
    ``date_to`` (excluded), by a dunning level that charges interest.

    The next charge of the instalment starts at the last ``date_to``, and the unique index on
    (instalment, first day) refuses a second charge of the same days, even from two runs at
    once. Append-only, like the dunning history.
    """

    _name = "credit.late.interest.charge"
    _description = "Late-Payment Interest Charged"
    _order = "date_to desc, id desc"

    move_line_id = fields.Many2one("account.move.line", string="Instalment", required=True, readonly=True,
                                   index=True, ondelete="restrict")
    move_id = fields.Many2one("account.move", string="Invoice", required=True, readonly=True, index=True,
                              ondelete="restrict")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    date_from = fields.Date(required=True, readonly=True)
    date_to = fields.Date(required=True, readonly=True)
    amount = fields.Monetary(required=True, readonly=True)
    invoice_id = fields.Many2one("account.move", string="Interest Invoice", readonly=True, ondelete="set null")
    event_id = fields.Many2one("credit.dunning.event", string="Dunning Step", readonly=True, ondelete="set null")

    _once_per_period = models.UniqueIndex(
        "(move_line_id, date_from)", "The interest of these days has already been charged.")

    @api.depends("move_id.name", "amount", "date_from", "date_to")
    def _compute_display_name(self):
        for charge in self:
            charge.display_name = f"{charge.move_id.name}: {charge.amount} {charge.currency_id.name or ''}" \
                f" ({charge.date_from} – {charge.date_to})"

    def write(self, vals):  # pylint: disable=method-required-super  # append-only, never changed
        raise UserError(self.env._("Interest charged is a record of what was invoiced: it cannot be changed."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Interest charged cannot be deleted."))
