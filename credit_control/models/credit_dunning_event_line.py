from odoo import api, fields, models
from odoo.exceptions import UserError


class CreditDunningEventLine(models.Model):
    """One instalment of an invoice covered by a dunning event, with its open amount that day.

    An instalment is a receivable line of the invoice (``move_line_id``); an invoice with one
    payment term line has one. The unique index on (instalment, level) for events that did not
    fail is what makes the engine safe to run again: an instalment is never dunned twice at the
    same level, even by two runs at the same moment (the second insert waits for the first and
    then fails). Lines recorded before dunning went per instalment have no ``move_line_id``:
    they covered the whole invoice.
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
    move_line_id = fields.Many2one("account.move.line", string="Instalment", readonly=True,
                                   ondelete="restrict")
    instalment_number = fields.Integer(readonly=True)
    instalment_count = fields.Integer(
        readonly=True, help="The invoice's number of instalments when the step was taken.")
    date_due = fields.Date(string="Due Date", readonly=True, help="The instalment's due date.")
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount_residual = fields.Monetary(string="Open Amount", readonly=True)
    company_currency_id = fields.Many2one(related="event_id.currency_id")
    amount_residual_company = fields.Monetary(
        string="Open Amount (company currency)", currency_field="company_currency_id", readonly=True)

    _once_per_level = models.UniqueIndex(
        "(move_line_id, level_id) WHERE state IS DISTINCT FROM 'failed'",
        "This instalment has already been dunned at this level.")

    @api.depends("move_id.name", "instalment_number", "instalment_count")
    def _compute_display_name(self):
        """``INV/2026/00001``, or ``INV/2026/00001 1/2`` for the first of two instalments."""
        for line in self:
            name = line.move_id.name or ""
            if line.instalment_count > 1:
                name = f"{name} {line.instalment_number}/{line.instalment_count}"
            line.display_name = name

    def write(self, vals):  # pylint: disable=method-required-super  # append-only, never changed
        raise UserError(self.env._("Dunning events are a record of what was done: they cannot be changed."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Dunning events cannot be deleted."))
