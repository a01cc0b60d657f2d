import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .credit_value_bounds import DAYS, PERCENT, SEQUENCE

# Signals the daily job detects (see credit.monitoring.engine) and the manual ones users record.
DETECTED_SIGNALS = [
    ("overdue", "Overdue beyond the grade tolerance"),
    ("dunning_legal", "Dunning reached the legal level"),
    ("bank_change", "Bank account changes"),
    ("identity_change", "Identity changes"),
    ("cover_reduced", "Insurer cover reduced, refused or withdrawn"),
    ("cover_expiring", "Insurer cover expiring"),
    ("exposure", "Exposure close to or above the limit"),
    ("concentration", "Concentration on one customer"),
    ("score_drop", "Score dropped"),
    ("score_low", "Score under a threshold"),
    ("payment_cycle", "Payment cycle lengthening"),
]
MANUAL_SIGNALS = [
    ("manual_ownership", "Ownership or management change"),
    ("manual_news", "Negative news"),
    ("manual_lawsuit", "Lawsuit"),
    ("manual_industry", "Industry downturn"),
    ("manual_other", "Other signal"),
]
SIGNALS = DETECTED_SIGNALS + MANUAL_SIGNALS
SEVERITIES = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
# What the threshold of a rule means, per signal: (unit, bounds).
THRESHOLD_UNITS = {
    "overdue": ("days", DAYS), "dunning_legal": ("none", (0, 0)), "bank_change": ("count", (1, 1000)),
    "identity_change": ("count", (1, 1000)), "cover_reduced": ("none", (0, 0)),
    "cover_expiring": ("days", DAYS), "exposure": ("percent", (0.0, 1000.0)),
    "concentration": ("percent", PERCENT), "score_drop": ("points", (1, 100)),
    "score_low": ("points", (1, 100)), "payment_cycle": ("days", (1, DAYS[1])),
}


class CreditWarningRule(models.Model):
    """When a signal becomes a warning in a company, how severe it is and what is done.

    The threshold means, per signal: days beyond the grade's overdue tolerance (overdue), the
    minimum number of changes within the window (bank and identity changes), days before the
    cover expires (cover expiring), exposure as a percentage of the limit (exposure), the
    customer's share of the company's total exposure in percent (concentration), points lost
    (score dropped), the lowest score tolerated (score under a threshold), days the average
    days late or the DSO grew (payment cycle). The window is the look-back period of the change
    signals, of the insurer's decisions and of the snapshot trends.
    """

    _name = "credit.warning.rule"
    _description = "Credit Warning Rule"
    _inherit = ["mail.thread", "credit.value.bounds"]
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company)
    signal_type = fields.Selection(SIGNALS, required=True, tracking=True)
    threshold_unit = fields.Selection(
        [("none", "None"), ("days", "Days"), ("count", "Changes"), ("percent", "%"), ("points", "Points")],
        compute="_compute_threshold_unit")
    threshold = fields.Float(
        tracking=True, digits=(16, 2),
        help="Overdue: days beyond the grade's tolerance. Bank or identity changes: minimum "
        "number of changes within the window. Cover expiring: days before the expiry. Exposure: "
        "percentage of the credit limit. Concentration: percentage of the company's total exposure. "
        "Score dropped: points lost within the window. Score under a threshold: the lowest score "
        "tolerated. Payment cycle: days the average days late or the DSO grew within the window.")
    window_days = fields.Integer(
        string="Window (days)", default=30, tracking=True,
        help="Look-back period of the change signals and of the insurer's decisions.")
    severity = fields.Selection(SEVERITIES, required=True, default="medium", tracking=True)
    activity_target = fields.Selection(
        [("none", "No activity"), ("manager", "Credit managers"), ("salesperson", "Salesperson")],
        string="Activity for", required=True, default="manager", tracking=True,
        help="Who gets an activity on a new warning (the salesperson falls back on the credit "
        "managers when the customer has none).")
    action_review = fields.Boolean(
        string="Open a Credit Review", tracking=True,
        help="Open a credit review of the customer (or link its open one) with the warning.")
    action_hold = fields.Boolean(
        string="Put on Credit Hold", tracking=True,
        help="Put the customer on credit hold, with the warning as the reason.")
    limit_action = fields.Selection(
        [("none", "Keep the limit"), ("percent", "Cut to a percentage"),
         ("cover", "Cut to the insurer's cover")],
        string="Credit Limit", required=True, default="none", tracking=True,
        help="Lower the customer's credit limit (never raise it). A cut to zero is not made: a "
        "zero limit means no limit.")
    limit_pct = fields.Float(
        string="Cut to (%)", default=50.0, tracking=True,
        help="New limit as a percentage of the current one.")
    warning_count = fields.Integer(compute="_compute_warning_count")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "sequence": SEQUENCE, "window_days": DAYS,
                "limit_pct": PERCENT, "threshold": (0.0, 1000.0)}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "company_id")

    @api.constrains("signal_type", "threshold", "limit_action", "limit_pct")
    def _check_threshold(self):
        labels = dict(self._fields["signal_type"]._description_selection(self.env))
        for rule in self:
            _unit, (low, high) = THRESHOLD_UNITS.get(rule.signal_type, ("none", (0, 0)))
            if (low or high) and not low <= rule.threshold <= high:
                raise ValidationError(self.env._(
                    "The threshold of a rule on %(signal)s must be between %(low)s and %(high)s "
                    "(got %(value)s).", signal=labels[rule.signal_type], low=low, high=high,
                    value=rule.threshold))
            if rule.limit_action == "percent" and not 0 < rule.limit_pct < 100:
                raise ValidationError(self.env._(
                    "Rule %(rule)s cuts the limit to a percentage: give one above 0 and below 100.",
                    rule=rule.name))

    @api.depends("signal_type")
    def _compute_threshold_unit(self):
        for rule in self:
            rule.threshold_unit = THRESHOLD_UNITS.get(rule.signal_type, ("none", None))[0]

    def _compute_warning_count(self):
        counts = dict(self.env["credit.warning"]._read_group(
            [("rule_id", "in", self.ids)], ["rule_id"], ["__count"]))
        for rule in self:
            rule.warning_count = counts.get(rule, 0)

    def action_view_warnings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_warning_action")
        action["domain"] = [("rule_id", "=", self.id)]
        action["context"] = {}
        return action

    @api.model
    def action_detect_now(self):
        """A credit manager's Run now of the detection for the current company (the daily job
        does every company); reruns add nothing while the conditions hold."""
        if not self.env.user.has_group("credit_control.group_credit_manager"):
            raise AccessError(self.env._("Only a credit manager can run the warning detection."))
        try:
            with self.env.cr.savepoint():
                new = self.env["credit.monitoring.engine"]._detect(
                    self.env.company, fields.Date.context_today(self))
        except psycopg2.errors.UniqueViolation as error:
            # The daily job opened the same episodes in a parallel transaction (unique index).
            raise UserError(self.env._(
                "The daily job is detecting the warnings of this company right now: try again in a "
                "moment.")) from error
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "info", "sticky": False, "title": self.env._("Credit warnings"),
            "message": self.env._("%(count)s new warnings.", count=len(new)),
            "next": {"type": "ir.actions.act_window_close"}}}
