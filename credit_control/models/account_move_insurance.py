from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class AccountMove(models.Model):
    """Insurance on customer invoices: whether the buyer was covered on the invoice date, the
    insurer's deadlines, and the declaration of the overdue to the insurer."""

    _inherit = "account.move"

    credit_insurance_policy_id = fields.Many2one(
        "credit.insurance.policy", string="Insurance Policy", compute="_compute_credit_insurance")
    credit_insured = fields.Boolean(
        string="Insured", compute="_compute_credit_insurance",
        help="The buyer had cover under the company's insurance policy on the invoice date.")
    credit_insurance_max_extension_date = fields.Date(
        string="Maximum Extension Date", compute="_compute_credit_insurance",
        help="After this date further deliveries to the buyer are no longer covered.")
    credit_insurance_notification_deadline = fields.Date(
        string="Insurer Notification Deadline", compute="_compute_credit_insurance",
        help="Declare the invoice to the insurer by this date if it is still unpaid.")
    credit_insurance_declared_date = fields.Date(
        string="Declared to Insurer", readonly=True, copy=False, tracking=True)

    @api.depends("partner_id", "invoice_date", "invoice_date_due", "company_id", "move_type", "state")
    def _compute_credit_insurance(self):
        policy_model = self.env["credit.insurance.policy"]
        self.credit_insurance_policy_id = False
        self.credit_insured = False
        self.credit_insurance_max_extension_date = False
        self.credit_insurance_notification_deadline = False
        invoices = self.filtered(lambda m: m.move_type == "out_invoice" and m.invoice_date and m.partner_id)
        # One policy and one cover look-up per company and invoice date, not per invoice.
        for (company, invoice_date), moves in invoices.grouped(
                lambda m: (m.company_id, m.invoice_date)).items():
            policy = policy_model._find(company, invoice_date)
            if not policy:
                continue
            covers = policy._covers(moves.partner_id, invoice_date)
            for move in moves:
                amount, _source = covers[move.partner_id.commercial_partner_id.id]
                move.credit_insurance_policy_id = policy
                move.credit_insured = amount > 0
                (move.credit_insurance_max_extension_date,
                 move.credit_insurance_notification_deadline) = policy._deadlines(
                    move.invoice_date_due or move.invoice_date)

    def action_credit_insurance_claim(self):
        """Open a draft claim on the insurer for these declared invoices of one buyer."""
        return self.env["credit.insurance.claim"]._action_open(self)

    def action_credit_declare_insurer(self):
        """Record that these unpaid insured invoices were declared to the insurer today."""
        if not self.env.user.has_group("credit_control.group_credit_user"):
            raise AccessError(self.env._("Only credit users can declare invoices to the insurer."))
        self.check_access("read")
        today = fields.Date.context_today(self)
        for move in self:
            if not move.credit_insured or move.state != "posted" or move.payment_state in (
                    "paid", "in_payment", "reversed"):
                raise UserError(self.env._(
                    "%(invoice)s is not an unpaid insured invoice: nothing to declare.",
                    invoice=move.display_name))
            if move.credit_insurance_declared_date:
                raise UserError(self.env._("%(invoice)s was already declared on %(date)s.",
                                           invoice=move.display_name,
                                           date=move.credit_insurance_declared_date))
        for move in self:
            deadline = move.credit_insurance_notification_deadline
            # Users only read declarations (append-only history); rights checked above.
            self.env["credit.insurance.declaration"].sudo().create({
                "date": today, "move_id": move.id,
                "partner_id": move.partner_id.commercial_partner_id.id,
                "policy_id": move.credit_insurance_policy_id.id, "company_id": move.company_id.id,
                "currency_id": move.currency_id.id, "amount_residual": move.amount_residual,
                "notification_deadline": deadline, "in_time": today <= deadline,
                "user_id": self.env.uid,
            })
            move.sudo().credit_insurance_declared_date = today
            move.sudo().message_post(body=self.env._(
                "Declared to the insurer under policy %(policy)s (deadline %(deadline)s).",
                policy=move.credit_insurance_policy_id.name, deadline=deadline))
        self._credit_deadline_activities().action_feedback(
            feedback=self.env._("Declared to the insurer"))
        return True

    def _credit_deadline_activities(self):
        activity_type = self.env.ref("credit_control.mail_activity_credit_insurance_deadline")
        return self.env["mail.activity"].sudo().search([
            ("res_model", "=", "account.move"), ("res_id", "in", self.ids),
            ("activity_type_id", "=", activity_type.id)])

    def _credit_schedule_deadline_activity(self):
        """One activity per credit manager of the company on each invoice, once: created
        together, without an assignment email each (as the dunning engine's activities)."""
        activity_type = self.env.ref("credit_control.mail_activity_credit_insurance_deadline")
        already = set(self._credit_deadline_activities().mapped("res_id"))
        model_id = self.env["ir.model"]._get_id("account.move")
        managers = {company: company._credit_managers() for company in self.company_id}
        vals_list = [{
            "res_model_id": model_id, "res_id": move.id, "activity_type_id": activity_type.id,
            "user_id": manager.id, "automated": True, "note": activity_type.default_note,
            "date_deadline": move.credit_insurance_notification_deadline,
            "summary": self.env._("Declare %(invoice)s to the insurer by %(date)s",
                                  invoice=move.display_name,
                                  date=move.credit_insurance_notification_deadline),
        } for move in self if move.id not in already for manager in managers[move.company_id]]
        # The job works for the company: managers get the activities whatever the caller's rights.
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(vals_list)
