from odoo import api, fields, models

from .dunning_ladder import Ladder, Rung


class CreditDunningProcedure(models.Model):
    """An ordered ladder of dunning levels applied to a customer's overdue invoices.

    A customer follows the procedure set on its own credit profile, else the one of its credit
    grade, else its company's default procedure (see ``res.partner._credit_dunning_procedure``).
    """

    _name = "credit.dunning.procedure"
    _description = "Dunning Procedure"
    _inherit = ["mail.thread", "credit.value.bounds"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index=True,
        help="Leave empty to use this procedure in every company.")
    level_ids = fields.One2many("credit.dunning.level", "procedure_id", string="Levels", copy=True)
    level_count = fields.Integer(compute="_compute_level_count")
    note = fields.Html(translate=True)

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "company_id")

    @api.depends("level_ids")
    def _compute_level_count(self):
        for procedure in self:
            procedure.level_count = len(procedure.level_ids)

    def _dunning_ladder(self, company):
        """The levels of this procedure as a plain :class:`~.dunning_ladder.Ladder` (amounts in
        the currency of ``company``), which decides what is due (see ``dunning_ladder``)."""
        self.ensure_one()
        return Ladder([
            Rung(level, level.days_overdue, level.min_overdue_amount, level.min_days_since_previous)
            for level in self.with_company(company).level_ids
        ], rounding=company.currency_id.rounding)
