from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .credit_value_bounds import AMOUNT, DAYS, MAX_DAYS, PERCENT, SEQUENCE

# A level is due from a year before the due date (a courtesy reminder) to ten years after.
MAX_DAYS_BEFORE_DUE = 365
DAYS_FROM_DUE = (-MAX_DAYS_BEFORE_DUE, MAX_DAYS)


class CreditDunningLevel(models.Model):
    """One step of a dunning procedure: when it is due and what it does.

    A level is due for an instalment of an invoice ``days_overdue`` days after its due date;
    negative days make a courtesy reminder before the due date, never sent for a disputed or
    paid invoice (the engine only selects open, undisputed ones). Its actions
    are combined freely: an email from a template, a formal letter (PDF) attached to that email
    and to the customer's chatter, an activity (e.g. a call), a legal hand-over, a credit hold
    and a fee.
    """

    _name = "credit.dunning.level"
    _description = "Dunning Level"
    _inherit = ["credit.value.bounds"]
    _order = "procedure_id, days_overdue, sequence, id"

    procedure_id = fields.Many2one(
        "credit.dunning.procedure", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="procedure_id.company_id", store=True)
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id",
        help="Amounts of a shared procedure are in each company's currency.")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    days_overdue = fields.Integer(
        required=True,
        help="The level is due for an instalment this many days after its due date. Negative: "
        "that many days before it (a courtesy reminder).")
    min_overdue_amount = fields.Monetary(
        string="Minimum Overdue Amount",
        help="The level only applies when the customer's undisputed overdue amount reaches this "
        "value (company currency).")
    min_days_since_previous = fields.Integer(
        string="Minimum Days since Previous Level",
        help="Wait at least this many days after the invoice's previous dunning step.")
    send_email = fields.Boolean(string="Email")
    mail_template_id = fields.Many2one(
        "mail.template", string="Email Template", domain=[("model", "=", "credit.dunning.event")],
        help="Rendered in the customer's language from the template's translations.")
    send_letter = fields.Boolean(
        string="Letter (PDF)",
        help="Render a formal letter listing the invoices, attach it to the email and to the "
        "customer's chatter. Without an email address it is left for posting.")
    attach_statement = fields.Boolean(
        string="Attach Statement of Account",
        help="Attach the customer's statement of account to the email: the current month and the "
        "two before it up to the run date, with the items still open on that day and their aging "
        "(the statement wizard's default period).")
    create_activity = fields.Boolean(string="Activity")
    activity_type_id = fields.Many2one("mail.activity.type")
    activity_summary = fields.Char(translate=True)
    activity_user_id = fields.Many2one(
        "res.users", string="Assigned to",
        help="Leave empty to assign the activity to the customer's salesperson.")
    legal_handover = fields.Boolean(
        string="Legal Hand-over",
        help="Flag the customer as in collection and give every credit manager an activity.")
    put_on_hold = fields.Boolean(string="Put on Credit Hold")
    hold_reason = fields.Char(translate=True)
    fee_type = fields.Selection(
        [("none", "No fee"), ("fixed", "Fixed amount"), ("percent", "Percentage of overdue")],
        default="none", required=True)
    fee_fixed = fields.Monetary(string="Fixed Fee")
    fee_percent = fields.Float(string="Fee (%)")
    charge_interest = fields.Boolean(
        string="Invoice Late Interest",
        help="Charge the late-payment interest accrued on the step's instalments (company or grade "
        "rate), invoiced in the invoices' currency as a separate posted invoice at the step or "
        "at the month's end (company setting); the same days are never charged twice.")
    channel = fields.Selection(
        [("email", "Email"), ("letter", "Letter"), ("activity", "Activity"),
         ("legal", "Legal hand-over"), ("none", "Record only")],
        compute="_compute_channel", help="The main action of the level.")

    _days_positive = models.Constraint(
        f"CHECK (days_overdue >= {-MAX_DAYS_BEFORE_DUE} AND min_days_since_previous >= 0 AND min_overdue_amount >= 0)",
        "A dunning level is due at most a year before the due date; its wait and minimum amount "
        "cannot be negative.")
    _days_unique = models.Constraint(
        "UNIQUE (procedure_id, days_overdue)",
        "Two levels of one procedure cannot be due on the same day.")
    _fee_valid = models.Constraint(
        "CHECK (fee_fixed >= 0 AND fee_percent >= 0 AND fee_percent <= 100)",
        "A dunning fee must be positive and a percentage at most 100.")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "sequence": SEQUENCE, "days_overdue": DAYS_FROM_DUE,
                "min_overdue_amount": AMOUNT, "min_days_since_previous": DAYS,
                "fee_fixed": AMOUNT, "fee_percent": PERCENT}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "procedure_id", "mail_template_id",
                "mail_template_zh_id", "activity_type_id", "activity_user_id")

    @api.depends("procedure_id.company_id")
    @api.depends_context("company")
    def _compute_currency_id(self):
        for level in self:
            level.currency_id = (level.procedure_id.company_id or self.env.company).currency_id

    @api.depends("send_email", "send_letter", "create_activity", "legal_handover")
    def _compute_channel(self):
        for level in self:
            level.channel = (
                "legal" if level.legal_handover else "letter" if level.send_letter
                else "email" if level.send_email else "activity" if level.create_activity else "none")

    @api.constrains("send_email", "mail_template_id", "create_activity", "activity_type_id",
                    "put_on_hold", "hold_reason")
    def _check_actions(self):
        for level in self:
            if level.send_email and not level.mail_template_id:
                raise ValidationError(self.env._(
                    "Level %(level)s sends an email: choose its template.", level=level.name))
            if level.create_activity and not level.activity_type_id:
                raise ValidationError(self.env._(
                    "Level %(level)s creates an activity: choose its type.", level=level.name))
            if level.put_on_hold and not (level.hold_reason or "").strip():
                raise ValidationError(self.env._(
                    "Level %(level)s puts the customer on hold: give the hold reason.", level=level.name))

    def _fee_amount(self, overdue_amount):
        """The fee for a step covering ``overdue_amount`` (company currency)."""
        self.ensure_one()
        if self.fee_type == "fixed":
            return self.fee_fixed
        if self.fee_type == "percent":
            return self.currency_id.round(overdue_amount * self.fee_percent / 100.0)
        return 0.0
