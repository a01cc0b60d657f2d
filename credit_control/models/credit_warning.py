from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import formatLang

from .credit_warning_rule import MANUAL_SIGNALS, SEVERITIES, SIGNALS

STATES = [("new", "New"), ("acknowledged", "Acknowledged"), ("closed", "Closed")]
# Written only by the server (detection job, actions); never by a user's write.
SERVER_FIELDS = frozenset({
    "state", "acknowledged_by_id", "acknowledged_date", "closed_by_id", "closed_date", "episode_open",
    "cleared_date", "measured_value", "threshold_value", "value_unit", "rule_id", "action_note",
    "partner_id", "company_id", "signal_type", "date", "details", "review_id"})


class CreditWarning(models.Model):
    """An early-warning signal on one customer in one company.

    Detected signals are created by the daily job (``credit.monitoring.engine``), at most one
    per rule, customer and *episode*: while the condition holds the warning stays open
    (``episode_open``) and a rerun adds nothing; once the condition clears the episode ends, and
    the signal coming back is a new warning. Users record manual signals (news, lawsuits,
    ownership changes...) with a note and attachments, acknowledge warnings and close them with
    a reason; the state moves only through those actions, checked on the server.
    """

    _name = "credit.warning"
    _description = "Credit Warning"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", compute="_compute_name")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True,
        domain="[('parent_id', '=', False)]")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users", string="Salesperson", compute="_compute_user_id", store=True, index=True)
    rule_id = fields.Many2one("credit.warning.rule", index=True, ondelete="set null",
                              check_company=True, readonly=True)
    signal_type = fields.Selection(SIGNALS, string="Signal", required=True, index=True, tracking=True)
    date = fields.Date(string="Detected on", required=True, default=fields.Date.context_today, index=True,
                       readonly=True)
    severity = fields.Selection(SEVERITIES, required=True, default="medium", tracking=True, index=True)
    measured_value = fields.Float(digits=(16, 2), readonly=True)
    threshold_value = fields.Float(string="Threshold", digits=(16, 2), readonly=True)
    value_unit = fields.Selection(
        [("amount", "Amount"), ("percent", "%"), ("days", "Days"), ("count", "Changes"), ("points", "Points")],
        readonly=True)
    details = fields.Text(readonly=True, help="What was measured, in words.")
    note = fields.Html(help="What the user knows about the signal (source, facts).")
    attachment_ids = fields.Many2many("ir.attachment", string="Attachments")
    state = fields.Selection(STATES, default="new", required=True, readonly=True, tracking=True, index=True)
    acknowledged_by_id = fields.Many2one("res.users", string="Acknowledged by", readonly=True)
    acknowledged_date = fields.Datetime(readonly=True)
    closed_by_id = fields.Many2one("res.users", string="Closed by", readonly=True)
    closed_date = fields.Datetime(readonly=True)
    close_reason = fields.Text(string="Reason for Closing", tracking=True)
    episode_open = fields.Boolean(
        string="Condition Holds", readonly=True,
        help="The detected condition still held at the last run: no new warning of this rule "
        "for this customer until it clears.")
    cleared_date = fields.Date(string="Condition Cleared", readonly=True)
    action_note = fields.Text(string="Automatic Actions", readonly=True)
    review_id = fields.Many2one("credit.review", string="Credit Review", readonly=True, check_company=True,
                                index="btree_not_null")

    _episode_unique = models.UniqueIndex(
        "(rule_id, partner_id, company_id) WHERE episode_open",
        "A rule gives a customer one open warning per episode.")

    @api.depends("signal_type", "partner_id")
    def _compute_name(self):
        for warning in self:
            warning.name = f"W{warning.id:05d}" if warning.id else self.env._("New")

    @api.depends("partner_id.user_id")
    def _compute_user_id(self):
        for warning in self:
            warning.user_id = warning.partner_id.user_id

    @api.depends("name", "signal_type", "partner_id")
    def _compute_display_name(self):
        labels = dict(self._fields["signal_type"]._description_selection(self.env))
        for warning in self:
            warning.display_name = f"{warning.name} {labels.get(warning.signal_type, '')}".strip()

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            manual = {key for key, _label in MANUAL_SIGNALS}
            for vals in vals_list:
                forged = (SERVER_FIELDS - {"partner_id", "company_id", "signal_type", "date"}) & set(vals)
                if vals.get("signal_type") not in manual or forged:
                    raise AccessError(self.env._(
                        "Users record manual signals only; the other warnings come from the daily "
                        "job, and their state and figures from the server."))
        warnings = super().create(vals_list)
        if not self.env.su:
            warnings._check_partner_is_customer()
            warnings.sudo()._apply_manual_rules()
        return warnings

    def write(self, vals):
        if not self.env.su and SERVER_FIELDS & set(vals):
            raise AccessError(self.env._(
                "The state, figures and customer of a credit warning are set by the server: use "
                "Acknowledge or Close."))
        if "severity" in vals and not self.env.su and not self.env.user.has_group(
                "credit_control.group_credit_manager"):
            raise AccessError(self.env._("Only a credit manager can change the severity of a warning."))
        if not self.env.su and any(w.state == "closed" for w in self):
            raise UserError(self.env._("A closed warning cannot be changed."))
        return super().write(vals)

    def _check_partner_is_customer(self):
        for warning in self:
            if warning.partner_id.commercial_partner_id != warning.partner_id:
                raise UserError(self.env._(
                    "Record the signal on the company %(company)s, not on its contact %(contact)s.",
                    company=warning.partner_id.commercial_partner_id.display_name,
                    contact=warning.partner_id.display_name))

    # ------------------------------------------------------------------ actions
    def action_acknowledge(self):
        self._check_credit_user()
        if any(w.state != "new" for w in self):
            raise UserError(self.env._("Only new warnings can be acknowledged."))
        self.sudo().write({"state": "acknowledged", "acknowledged_by_id": self.env.uid,
                           "acknowledged_date": fields.Datetime.now()})
        # Done for everyone it was assigned to, by the user who acted on the warning.
        self.sudo().activity_feedback(["credit_control.mail_activity_credit_warning"])
        return True

    def action_close(self):
        self._check_credit_user()
        for warning in self:
            if warning.state == "closed":
                raise UserError(self.env._("Warning %(warning)s is already closed.", warning=warning.name))
            if not (warning.close_reason or "").strip():
                raise UserError(self.env._(
                    "Say why warning %(warning)s is closed (Reason for Closing).", warning=warning.name))
        self.sudo().write({"state": "closed", "closed_by_id": self.env.uid,
                           "closed_date": fields.Datetime.now()})
        # Done for everyone it was assigned to, by the user who acted on the warning.
        self.sudo().activity_feedback(["credit_control.mail_activity_credit_warning"])
        return True

    def action_open_review(self):
        """Open a credit review of the customer with this warning (or its open one)."""
        self.ensure_one()
        self._check_credit_user()
        if not self.review_id:
            self.sudo()._link_reviews()
        return {"type": "ir.actions.act_window", "res_model": "credit.review", "res_id": self.review_id.id,
                "view_mode": "form", "target": "current"}

    def action_open_partner(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "res.partner", "res_id": self.partner_id.id,
                "view_mode": "form"}

    def _check_credit_user(self):
        if not self.env.su and not self.env.user.has_group("credit_control.group_credit_user"):
            raise AccessError(self.env._("Only credit users acknowledge or close credit warnings."))

    # ------------------------------------------------------------------ rule actions
    def _apply_manual_rules(self):
        """A manual signal gets the actions of the active rules of its type in its company."""
        rules = self.env["credit.warning.rule"].search([
            ("signal_type", "in", self.mapped("signal_type")), ("company_id", "in", self.company_id.ids)])
        for warning in self:
            rule = rules.filtered(lambda r, w=warning: r.signal_type == w.signal_type
                                  and r.company_id == w.company_id)[:1]
            if rule:
                warning.write({"severity": rule.severity, "rule_id": rule.id})
        self.filtered("rule_id")._apply_rule_actions()

    def _apply_rule_actions(self):
        """Run the automatic actions of each warning's rule: activities (created together),
        credit hold and limit cut through the partner's audited write (audit row naming the
        warning, chatter tracking), and a note of what was done on the warning."""
        self._schedule_rule_activities()
        self.filtered(lambda w: w.rule_id.action_review)._link_reviews()
        for warning in self:
            rule = warning.rule_id
            done = []
            if rule.action_review and warning.review_id:
                done.append(self.env._("Credit review %(review)s opened.", review=warning.review_id.display_name))
            if rule.action_hold:
                done += warning._action_hold()
            if rule.limit_action != "none":
                done += warning._action_cut_limit()
            if done:
                warning.action_note = "\n".join(done)
                warning.message_post(body=Markup("<br/>").join(done), subtype_xmlid="mail.mt_note")

    def _link_reviews(self):
        """Link each warning to its customer's open credit review in its company, opening one
        (figures frozen) for the customers without: one search and one opening per company."""
        Review = self.env["credit.review"].sudo()
        for company, warnings in self.grouped("company_id").items():
            partners = warnings.partner_id
            reviews = {review.partner_id: review for review in Review.search([
                ("partner_id", "in", partners.ids), ("company_id", "=", company.id),
                ("state", "in", ("draft", "proposed"))])}
            missing = partners.filtered(lambda p, found=reviews: p not in found)
            if missing:
                reviews.update({review.partner_id: review for review in Review._open_reviews(
                    missing, company, "warning")})
            for warning in warnings:
                warning.review_id = reviews[warning.partner_id]
                reviews[warning.partner_id].message_post(
                    body=self.env._("Opened from credit warning %(warning)s: %(details)s",
                                    warning=warning.display_name, details=warning.details or ""),
                    subtype_xmlid="mail.mt_note")

    def _audited_partner(self):
        """The customer in the warning's company, writing as the server with the warning
        named in the audit rows of the change."""
        self.ensure_one()
        reason = self.env._("Credit warning %(warning)s: %(signal)s. %(details)s", warning=self.name,
                            signal=self.display_name, details=self.details or "")
        return self.partner_id.with_company(self.company_id).sudo().with_context(
            credit_audit_reason=reason.strip(), credit_audit_document=(self._name, self.id))

    def _action_hold(self):
        partner = self._audited_partner()
        if partner.credit_hold:
            return []
        partner.write({"credit_hold": True, "credit_hold_reason": self.env._(
            "Credit warning %(warning)s", warning=self.display_name)})
        return [self.env._("Customer put on credit hold.")]

    def _action_cut_limit(self):
        partner = self._audited_partner()
        rule, company = self.rule_id, self.company_id
        currency = company.currency_id
        limit = partner.credit_limit
        if limit <= 0:
            return []
        if rule.limit_action == "percent":
            target = currency.round(limit * rule.limit_pct / 100.0)
        else:
            today = fields.Date.context_today(self)
            policy = self.env["credit.insurance.policy"]._find(company, today)
            if not policy:
                return [self.env._("Limit not cut: no insurance policy in force.")]
            cover, _source = policy._covers(partner, today)[partner.id]
            target = policy.currency_id._convert(cover, currency, company, today)
        if currency.compare_amounts(target, limit) >= 0:
            return []
        if currency.is_zero(target):
            return [self.env._("Limit not cut to zero (a zero limit means no limit): %(limit)s kept.",
                               limit=formatLang(self.env, limit, currency_obj=currency))]
        partner.write({"credit_limit": target})
        return [self.env._("Credit limit cut from %(old)s to %(new)s.",
                           old=formatLang(self.env, limit, currency_obj=currency),
                           new=formatLang(self.env, target, currency_obj=currency))]

    def _schedule_rule_activities(self):
        """One activity per warning for its salesperson, or one per credit manager, created
        together without an assignment email each (like the dunning engine's)."""
        warnings = self.filtered(lambda w: w.rule_id.activity_target not in (False, "none"))
        if not warnings:
            return
        activity_type = self.env.ref("credit_control.mail_activity_credit_warning")
        model_id = self.env["ir.model"]._get_id(self._name)
        managers = {company: company._credit_managers() for company in warnings.company_id}
        vals_list = []
        for warning in warnings:
            target = warning.rule_id.activity_target
            users = (warning.partner_id.user_id if target == "salesperson" else None) or managers[warning.company_id]
            vals_list += [{
                "res_model_id": model_id, "res_id": warning.id, "activity_type_id": activity_type.id,
                "user_id": user.id, "automated": True,
                "summary": self.env._("%(warning)s on %(customer)s", warning=warning.display_name,
                                      customer=warning.partner_id.display_name),
                "note": warning.details,
            } for user in users]
        # The job works for the company: the activities are made whatever the caller's rights.
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(vals_list)
