from odoo import Command, api, fields, models

from ..models.credit_value_bounds import DATES


class CreditDunningRun(models.TransientModel):
    """Preview of the next dunning run, for all customers or one, and a manager's *Run now*.

    Both use the dunning engine: the preview lists its plan, *Run now* executes it.
    """

    _name = "credit.dunning.run"
    _description = "Dunning Preview and Manual Run"
    _inherit = ["credit.value.bounds"]

    company_ids = fields.Many2many(
        "res.company", string="Companies", required=True, default=lambda self: self.env.companies)
    partner_id = fields.Many2one("res.partner", string="Customer", help="Leave empty for every customer.")
    date = fields.Date(required=True, default=fields.Date.context_today,
                       help="Preview the run of this day. Run now always runs today.")
    line_ids = fields.One2many("credit.dunning.run.line", "run_id", string="Planned Steps")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "date": DATES}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "partner_id")

    @api.model
    def _action_open(self, partner=None):
        run = self.create({"partner_id": partner.id if partner else False})
        run._fill_preview()
        return run._action_reopen()

    def _companies(self):
        return self.company_ids & self.env.user.company_ids

    def _partners(self):
        return self.partner_id.commercial_partner_id if self.partner_id else None

    def _fill_preview(self):
        self.ensure_one()
        engine = self.env["credit.dunning.engine"].sudo()  # the plan needs every invoice; it writes nothing
        steps = engine._plan(self._companies(), self.date, self._partners())
        recipients = engine._email_recipients(self.env["res.partner"].browse({step.partner.id for step in steps}))
        self.line_ids = [Command.clear()] + [Command.create({
            "company_id": step.company.id,
            "partner_id": step.partner.id,
            "level_id": step.level.id,
            "move_ids": [Command.set(list({row["move_id"] for row in step.rows}))],
            "max_days_overdue": max(row["days_overdue"] for row in step.rows),
            "currency_id": step.company.currency_id.id,
            "amount": step.amount,
            "has_email": bool(recipients[step.partner.id]),
        }) for step in steps]

    def _action_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dunning Preview"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_preview(self):
        self.ensure_one()
        self._fill_preview()
        return self._action_reopen()

    def action_run(self):
        """Run the dunning now (credit managers only) and show what it did."""
        self.ensure_one()
        events = self.env["credit.dunning.engine"]._run_manual(self._companies(), self._partners())
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_dunning_event_action")
        action["domain"] = [("id", "in", events.ids)]
        action["context"] = {}
        return action
