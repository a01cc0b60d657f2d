from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import formatLang

EVENT_STATES = [
    ("pending", "Pending"),
    ("done", "Done"),
    ("fallback", "Done with fallback"),
    ("failed", "Failed"),
]


class CreditDunningEvent(models.Model):
    """One executed dunning step: one customer, one level, the invoices it covered.

    Created ``pending`` by the engine before anything is sent (its lines carry the unique key
    that forbids dunning an invoice twice at one level), then completed once: ``done``,
    ``fallback`` (e.g. a letter to post instead of an email) or ``failed`` with the error.
    After that it never changes; users only read it and nobody deletes it (uninstalling the
    module still removes the table).
    """

    _name = "credit.dunning.event"
    _description = "Dunning Event"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    date = fields.Date(required=True, readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    procedure_id = fields.Many2one("credit.dunning.procedure", readonly=True, ondelete="restrict")
    level_id = fields.Many2one("credit.dunning.level", required=True, readonly=True,
                               ondelete="restrict")
    line_ids = fields.One2many("credit.dunning.event.line", "event_id", string="Instalments", readonly=True)
    invoice_ids = fields.Many2many(
        "account.move", string="Invoice Documents", compute="_compute_invoice_ids")
    currency_id = fields.Many2one(
        "res.currency", string="Company Currency", required=True, readonly=True)
    amount_total = fields.Monetary(
        string="Overdue Amount", readonly=True,
        help="Sum of the overdue instalments' open amounts in the company currency on the event date.")
    channel = fields.Selection(
        [("email", "Email"), ("letter", "Letter"), ("activity", "Activity"),
         ("legal", "Legal hand-over"), ("none", "Record only")], readonly=True)
    state = fields.Selection(EVENT_STATES, default="pending", required=True, readonly=True, index=True)
    error = fields.Text(readonly=True)
    mail_message_id = fields.Many2one("mail.message", string="Message", readonly=True, ondelete="set null")
    letter_attachment_id = fields.Many2one("ir.attachment", string="Letter", readonly=True, ondelete="set null")
    fee_move_id = fields.Many2one("account.move", string="Fee Invoice", readonly=True, ondelete="set null")
    activity_note = fields.Char(string="Activities", readonly=True)
    interest_charge_ids = fields.One2many(
        "credit.late.interest.charge", "event_id", string="Interest Charged", readonly=True)
    user_id = fields.Many2one("res.users", string="Run by", readonly=True, default=lambda self: self.env.user)
    invoice_table = fields.Html(
        compute="_compute_invoice_table", sanitize=False,
        help="The instalments of the step as a table in the customer's language, for the email templates.")

    @api.depends("level_id.name", "partner_id.name")
    def _compute_name(self):
        for event in self:
            event.name = f"{event.level_id.name} - {event.partner_id.name}"

    @api.depends("line_ids.move_id")
    def _compute_invoice_ids(self):
        for event in self:
            event.invoice_ids = event.line_ids.move_id

    @api.depends("line_ids.display_name", "partner_id.lang")
    def _compute_invoice_table(self):
        """Render the instalment table of each event in its customer's language; the amounts are
        formatted here (the QWeb monetary widget costs more than the rest of the email)."""
        QWeb = self.env["ir.qweb"]
        for event in self:
            lang = event.partner_id.lang or self.env.lang or "en_US"
            lang_env = self.env(context=dict(self.env.context, lang=lang))
            rows = [{
                "invoice": line.display_name,
                "date_due": line.date_due,
                "days": line.days_overdue if line.days_overdue > 0 else "",  # not late yet: a courtesy reminder
                "amount": formatLang(lang_env, line.amount_residual, currency_obj=line.currency_id),
            } for line in event.line_ids]
            event.invoice_table = QWeb.with_context(lang=lang)._render(
                "credit_control.credit_dunning_mail_invoice_table", {"rows": rows})

    def mail_allowed_qweb_expressions(self):
        # The dunning templates only read these fields: Odoo renders such templates without
        # compiling QWeb per email, and lets non-technical editors change them.
        return super().mail_allowed_qweb_expressions() + (
            "object.company_id.name", "object.invoice_table", "object.amount_total")

    def write(self, vals):
        # Only the engine completes a pending event, once; nothing else ever changes one.
        if not self.env.su or any(event.state != "pending" for event in self):
            raise UserError(self.env._("Dunning events are a record of what was done: they cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Dunning events cannot be deleted."))

    def action_new_payment_plan(self):
        """A draft payment plan covering the still open invoices of this step."""
        self.ensure_one()
        moves = self.line_ids.move_id.filtered(lambda move: move.amount_residual > 0)
        return self.env["credit.payment.plan"].with_company(self.company_id)._action_new(
            self.partner_id, moves, event=self)

    def action_open_letter(self):
        self.ensure_one()
        if not self.letter_attachment_id:
            raise UserError(self.env._("No letter was produced for this dunning step."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.letter_attachment_id.id}?download=true",
            "target": "new",
        }
