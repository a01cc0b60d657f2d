from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import formatLang

from .credit_value_bounds import shift_date

CLAIM_STATES = [
    ("draft", "Draft"),
    ("filed", "Filed"),
    ("accepted", "Accepted"),
    ("partial", "Partly paid"),
    ("paid", "Paid"),
    ("refused", "Refused"),
]


class CreditInsuranceClaim(models.Model):
    """A claim on the credit insurer for a buyer's declared overdue invoices.

    Opened from the invoices declared to the insurer; due before the policy's claim days after
    the oldest invoice's due date. The expected indemnity is the insured part of the loss: the
    coverage % of the loss, within the buyer's cover on the claim date. Credit users prepare and
    file it; a credit manager records the insurer's decision and the indemnity received, which
    is booked with a journal entry on the policy's accounts. The state only changes through
    these methods (guarded in ``write`` and ``create``); documents go in the chatter.
    """

    _name = "credit.insurance.claim"
    _description = "Credit Insurance Claim"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(default=lambda self: self.env._("New"), readonly=True, copy=False)
    policy_id = fields.Many2one("credit.insurance.policy", required=True, check_company=True, tracking=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="policy_id.currency_id", store=True)
    partner_id = fields.Many2one("res.partner", string="Buyer", required=True, index=True, tracking=True)
    move_ids = fields.Many2many(
        "account.move", "credit_insurance_claim_move_rel", "claim_id", "move_id", string="Invoices",
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), ('credit_insurance_declared_date', '!=', False)]")
    state = fields.Selection(CLAIM_STATES, default="draft", required=True, readonly=True, tracking=True, index=True)
    date_deadline = fields.Date(
        string="Claim Deadline", compute="_compute_date_deadline", store=True,
        help="The policy's claim days after the oldest invoice's due date.")
    date_filed = fields.Date(readonly=True, copy=False)
    amount_loss = fields.Monetary(
        string="Loss", readonly=True, copy=False,
        help="Open amount of the invoices in the policy currency, as saved in draft and when filed.")
    amount_cover = fields.Monetary(string="Buyer Cover", readonly=True, copy=False)
    amount_expected = fields.Monetary(
        string="Expected Indemnity", readonly=True, copy=False,
        help="Coverage % of the loss, within the buyer's cover.")
    amount_received = fields.Monetary(string="Indemnity Received", readonly=True, copy=False)
    indemnity_move_ids = fields.Many2many(
        "account.move", "credit_insurance_claim_indemnity_rel", "claim_id", "move_id",
        string="Indemnity Entries", readonly=True, copy=False)
    date_alerted = fields.Date(string="Deadline Alert", readonly=True, copy=False,
                               help="When the credit managers were alerted that the claim deadline nears.")
    note = fields.Text()

    @api.depends("move_ids.invoice_date_due", "policy_id.claim_days")
    def _compute_date_deadline(self):
        for claim in self:
            due = min(claim.move_ids.mapped("invoice_date_due"), default=False)
            claim.date_deadline = shift_date(due, days=claim.policy_id.claim_days) if due else False

    @api.constrains("move_ids", "partner_id")
    def _check_move_ids(self):
        for claim in self:
            if claim.move_ids.commercial_partner_id - claim.partner_id.commercial_partner_id:
                raise ValidationError(self.env._("A claim covers invoices of its buyer only."))
            if any(not move.credit_insurance_declared_date for move in claim.move_ids):
                raise ValidationError(self.env._("Only invoices declared to the insurer can be claimed."))

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("state", "draft") != "draft" for vals in vals_list):
            raise UserError(self.env._("A claim is created as a draft."))
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("credit.insurance.claim") or self.env._("New")
        claims = super().create(vals_list)
        claims._refresh_amounts()
        return claims

    def write(self, vals):
        if not self.env.su:
            if {"state", "date_filed", "amount_received", "indemnity_move_ids", "amount_loss", "amount_cover",
                    "amount_expected"} & set(vals):
                raise UserError(self.env._("The state of a claim changes through its buttons only."))
            if {"policy_id", "partner_id", "move_ids"} & set(vals) and any(c.state != "draft" for c in self):
                raise UserError(self.env._("Only a draft claim can be changed."))
        result = super().write(vals)
        if {"policy_id", "partner_id", "move_ids"} & set(vals):
            self._refresh_amounts()
        return result

    def _refresh_amounts(self):
        """Loss, buyer cover and expected indemnity of these draft claims, today: the insured
        part of the loss is the coverage % of the loss within the buyer's cover."""
        today = fields.Date.context_today(self)
        for claim in self.filtered(lambda claim: claim.state == "draft"):
            policy = claim.policy_id
            currency = policy.currency_id
            loss = currency.round(sum(
                move.currency_id._convert(move.amount_residual, currency, policy.company_id, today)
                for move in claim.move_ids))
            buyer = claim.partner_id.commercial_partner_id
            cover = policy._covers(buyer, today).get(buyer.id, (0.0, ""))[0]
            claim.sudo().write({"amount_loss": loss, "amount_cover": cover,
                                "amount_expected": policy._insured_part(loss, cover)})

    # ------------------------------------------------------------------ actions
    def action_file(self):
        """File the claim with the insurer (credit users): the amounts are fixed."""
        for claim in self:
            if claim.state != "draft" or not claim.move_ids:
                raise UserError(self.env._("Only a draft claim with invoices can be filed."))
            claim._refresh_amounts()
            claim.sudo().write({"state": "filed", "date_filed": fields.Date.context_today(self)})
        return True

    def action_accept(self):
        self._decide("accepted")
        return True

    def action_refuse(self):
        self._decide("refused")
        return True

    def _decide(self, state):
        self._check_manager()
        if any(claim.state != "filed" for claim in self):
            raise UserError(self.env._("Only a filed claim can be accepted or refused."))
        self.sudo().write({"state": state})

    def _check_manager(self):
        if not self.env.user.has_group("credit_control.group_credit_manager"):
            raise AccessError(self.env._("Only a credit manager can record the insurer's decision or indemnity."))

    def _register_indemnity(self, amount, date):
        """Book ``amount`` (policy currency) received from the insurer on ``date``: a journal
        entry debiting the policy's bank or receivable account and crediting its indemnity
        account; partly paid, or paid once the expected indemnity is reached."""
        self.ensure_one()
        self._check_manager()
        policy = self.policy_id
        currency = self.currency_id
        if self.state not in ("accepted", "partial"):
            raise UserError(self.env._("Record the indemnity of an accepted claim."))
        if currency.compare_amounts(amount, 0.0) <= 0:
            raise UserError(self.env._("The indemnity received must be a positive amount."))
        if not (policy.claim_journal_id and policy.claim_debit_account_id and policy.claim_credit_account_id):
            raise UserError(self.env._("Set the indemnity journal and accounts on policy %s.", policy.name))
        company_amount = currency._convert(amount, policy.company_id.currency_id, policy.company_id, date)
        label = self.env._("Insurance indemnity %(claim)s (%(buyer)s)", claim=self.name, buyer=self.partner_id.name)
        line = {"name": label, "currency_id": currency.id}
        entry = self.env["account.move"].sudo().with_company(policy.company_id).create({
            "move_type": "entry", "journal_id": policy.claim_journal_id.id, "date": date, "ref": label,
            "line_ids": [
                Command.create({**line, "account_id": policy.claim_debit_account_id.id,
                                "partner_id": policy.insurer_id.id, "amount_currency": amount,
                                "debit": company_amount}),
                Command.create({**line, "account_id": policy.claim_credit_account_id.id,
                                "partner_id": self.partner_id.id, "amount_currency": -amount,
                                "credit": company_amount}),
            ],
        })
        entry.action_post()
        received = currency.round(self.amount_received + amount)
        self.sudo().write({
            "amount_received": received, "indemnity_move_ids": [Command.link(entry.id)],
            "state": "paid" if currency.compare_amounts(received, self.amount_expected) >= 0 else "partial",
        })
        self.message_post(body=self.env._("Indemnity of %(amount)s received, entry %(entry)s.",
                                          amount=formatLang(self.env, amount, currency_obj=currency),
                                          entry=entry.name))
        return entry

    def action_register_indemnity(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "name": self.env._("Indemnity Received"),
            "res_model": "credit.insurance.claim.indemnity", "view_mode": "form", "target": "new",
            "context": {"default_claim_id": self.id,
                        "default_amount": self.currency_id.round(self.amount_expected - self.amount_received)},
        }

    @api.model
    def _action_open(self, moves):
        """A draft claim for the declared invoices ``moves`` of one buyer."""
        moves = moves.filtered("credit_insurance_declared_date")
        if not moves or len(moves.commercial_partner_id) > 1 or len(moves.company_id) > 1:
            raise UserError(self.env._("Choose declared invoices of one buyer to claim."))
        policy = moves[:1].credit_insurance_policy_id
        if not policy:
            raise UserError(self.env._("%s is not insured: there is no policy to claim from.", moves[:1].display_name))
        claim = self.create({"policy_id": policy.id, "partner_id": moves.commercial_partner_id.id,
                             "move_ids": [Command.set(moves.ids)]})
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": claim.id, "view_mode": "form"}

    @api.model
    def _cron_deadline_alerts(self):
        """Daily job: the deadline alerts of today (:meth:`_deadline_alerts`), committed."""
        claims = self._deadline_alerts(fields.Date.context_today(self))
        self.env["ir.cron"]._commit_progress(len(claims), remaining=0)

    @api.model
    def _deadline_alerts(self, today):
        """An activity for each credit manager on the draft claims whose deadline falls within
        the policy's alert days (as for the notification deadline), once per claim; returns
        those claims. One search for them all, the managers read once per company, the
        activities created together."""
        claims = self.sudo().search([("state", "=", "draft"), ("date_alerted", "=", False),
                                     ("date_deadline", "!=", False)])
        claims = claims.filtered(
            lambda claim: claim.date_deadline <= shift_date(today, days=claim.policy_id.notification_alert_days))
        managers = {company: company._credit_managers() for company in claims.company_id}
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create([{
            "res_model_id": model_id, "res_id": claim.id, "activity_type_id": activity_type.id,
            "user_id": manager.id, "date_deadline": claim.date_deadline,
            "summary": self.env._("File claim %(claim)s with the insurer by %(date)s",
                                  claim=claim.name, date=fields.Date.to_string(claim.date_deadline)),
        } for claim in claims for manager in managers[claim.company_id]])
        claims.write({"date_alerted": today})
        return claims
