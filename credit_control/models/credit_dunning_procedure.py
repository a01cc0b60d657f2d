from odoo import api, fields, models


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
        "res.company", string="Company", index=True,
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

    def _due_level(self, days_overdue, overdue_amount):
        """The highest level reached by an invoice ``days_overdue`` days late, for a customer
        owing ``overdue_amount`` overdue (company currency), or an empty recordset."""
        self.ensure_one()
        reached = self.level_ids.filtered(
            lambda level: level.days_overdue <= days_overdue
            and level.currency_id.compare_amounts(overdue_amount, level.min_overdue_amount) >= 0)
        return reached.sorted("days_overdue")[-1:]
