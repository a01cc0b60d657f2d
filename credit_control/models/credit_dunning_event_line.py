from odoo import api, fields, models
from odoo.exceptions import UserError


class CreditDunningEventLine(models.Model):
    """One invoice covered by a dunning event, with its open amount on that day.

    The unique index on (invoice, level) for events that did not fail is what makes the
    engine safe to run again: an invoice is never dunned twice at the same level, even by two
    runs at the same moment (the second insert waits for the first and then fails).
    """

    _name = "credit.dunning.event.line"
    _description = "Dunning Event Invoice"
    _order = "days_overdue desc, id"  # no many2one here: ordering by it would join the events

    event_id = fields.Many2one("credit.dunning.event", required=True, readonly=True, index=True,
                               ondelete="cascade")
    state = fields.Selection(related="event_id.state", store=True)
    date = fields.Date(related="event_id.date", store=True)
    partner_id = fields.Many2one(related="event_id.partner_id", store=True)
    company_id = fields.Many2one(related="event_id.company_id", store=True)
    level_id = fields.Many2one("credit.dunning.level", required=True, readonly=True, ondelete="restrict")
    move_id = fields.Many2one("account.move", string="Invoice", required=True, readonly=True, index=True,
                              ondelete="restrict")
    date_due = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount_residual = fields.Monetary(string="Open Amount", readonly=True)
    company_currency_id = fields.Many2one(related="event_id.currency_id")
    amount_residual_company = fields.Monetary(
        string="Open Amount (company currency)", currency_field="company_currency_id", readonly=True)

    _once_per_level = models.UniqueIndex(
        "(move_id, level_id) WHERE state IS DISTINCT FROM 'failed'",
        "This invoice has already been dunned at this level.")

    def write(self, vals):  # pylint: disable=method-required-super  # append-only, never changed
        raise UserError(self.env._("Dunning events are a record of what was done: they cannot be changed."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Dunning events cannot be deleted."))
