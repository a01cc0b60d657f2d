from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from .dunning_ladder import Ladder


class AccountMove(models.Model):
    """Dunning and dispute state of customer invoices, read from the dunning history."""

    _inherit = "account.move"

    credit_dunning_line_ids = fields.One2many(
        "credit.dunning.event.line", "move_id", string="Dunning Steps", readonly=True)
    credit_dispute_ids = fields.One2many("credit.dispute", "move_id", string="Disputes", readonly=True)
    credit_dispute_state = fields.Selection(
        [("none", "Not disputed"), ("open", "Disputed"), ("resolved", "Dispute resolved")],
        string="Dispute", compute="_compute_credit_dispute_state", search="_search_credit_dispute_state")
    credit_days_overdue = fields.Integer(string="Days Overdue", compute="_compute_credit_dunning")
    credit_dunning_level_id = fields.Many2one(
        "credit.dunning.level", string="Dunning Level", compute="_compute_credit_dunning")
    credit_dunning_date = fields.Date(string="Last Dunning", compute="_compute_credit_dunning")
    credit_dunning_next_level_id = fields.Many2one(
        "credit.dunning.level", string="Next Dunning Level", compute="_compute_credit_dunning")
    credit_dunning_next_date = fields.Date(string="Next Dunning Date", compute="_compute_credit_dunning")
    credit_dunning_event_count = fields.Integer(compute="_compute_credit_dunning")
    credit_instalment_ids = fields.One2many(
        "account.move.line", "move_id", string="Instalments", readonly=True,
        domain=[("display_type", "=", "payment_term")],
        help="The receivable lines of the invoice: each is due, and dunned, on its own date.")

    @api.depends("credit_dispute_ids.state")
    def _compute_credit_dispute_state(self):
        for move in self:
            states = move.sudo().credit_dispute_ids.mapped("state")
            move.credit_dispute_state = "open" if "open" in states else "resolved" if states else "none"

    def _search_credit_dispute_state(self, operator, value):
        if operator != "in":
            return NotImplemented
        domain = []
        if "open" in value:
            domain.append([("credit_dispute_ids.state", "=", "open")])
        if "resolved" in value:
            domain.append([("credit_dispute_ids.state", "=", "resolved"),
                           ("credit_dispute_ids.state", "!=", "open")])
        if "none" in value:
            domain.append([("credit_dispute_ids", "=", False)])
        return Domain.OR(domain) if domain else Domain.FALSE

    @api.depends("credit_dunning_line_ids", "line_ids.date_maturity", "line_ids.amount_residual",
                 "payment_state", "partner_id")
    @api.depends_context("company")
    def _compute_credit_dunning(self):
        """Where the invoice stands, from its instalments (receivable lines): the days its
        oldest open instalment is late, the highest level it had, and the earliest next step
        of any open instalment (the ladder of ``dunning_ladder``, as the engine applies it)."""
        for move in self:
            lines = move.sudo().credit_dunning_line_ids.filtered(lambda line: line.state != "failed")
            last = lines.sorted(lambda line: (line.level_id.days_overdue, line.date))[-1:]
            move.credit_dunning_level_id = last.level_id
            move.credit_dunning_date = last.date
            move.credit_dunning_event_count = len(lines.event_id)
            open_invoice = (move.move_type == "out_invoice" and move.state == "posted"
                            and not move.currency_id.is_zero(move.amount_residual))
            instalments = move.credit_instalment_ids.filtered(
                lambda aml: aml.amount_residual > 0 and aml.date_maturity) if open_invoice else []
            move.credit_days_overdue = max(
                [instalment.credit_days_overdue for instalment in instalments], default=0)
            ladder = None
            if instalments:
                procedure = move.commercial_partner_id.with_company(move.company_id)._credit_dunning_procedure()
                ladder = procedure and procedure.sudo()._dunning_ladder(move.company_id)
            upcoming = []
            for instalment in instalments if ladder else []:
                done = instalment._credit_dunning_steps(lines)
                rung = ladder.next([step.level_id.days_overdue for step in done])
                if rung:
                    last_date = max(done.mapped("date"), default=None)
                    upcoming.append((Ladder.next_date(rung, instalment.date_maturity, last_date), rung.key))
            next_date, next_level = min(upcoming, key=lambda item: item[0], default=(False, False))
            move.credit_dunning_next_level_id = next_level
            move.credit_dunning_next_date = next_date

    def action_credit_dispute(self):
        """Open the dispute form of this invoice (reason, amount, note)."""
        self.ensure_one()
        if self.move_type != "out_invoice" or self.state != "posted":
            raise UserError(self.env._("Only posted customer invoices can be disputed."))
        if self.credit_dispute_state == "open":
            raise UserError(self.env._("%s already has an open dispute.", self.display_name))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dispute %s", self.display_name),
            "res_model": "credit.dispute",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_id": self.id, "default_company_id": self.company_id.id,
                        "default_amount": self.amount_residual or self.amount_total},
        }

    def action_view_credit_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_dispute_action")
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {"default_move_id": self.id, "default_company_id": self.company_id.id}
        return action

    def action_view_credit_dunning_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_dunning_event_action")
        action["domain"] = [("line_ids.move_id", "=", self.id)]
        return action
