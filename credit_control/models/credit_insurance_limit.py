from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .credit_value_bounds import AMOUNT, DATES


class CreditInsuranceLimit(models.Model):
    """One cover decision of the insurer for one buyer under a policy.

    Decisions are kept as history: a new decision (increase, reduction, withdrawal) is a new
    record; the latest decision in force on a date gives the buyer's cover (see
    :meth:`credit.insurance.policy._covers`).
    """

    _name = "credit.insurance.limit"
    _description = "Credit Insurance Buyer Cover"
    _inherit = ["mail.thread", "credit.value.bounds"]
    _order = "granted_date desc, id desc"
    _check_company_auto = True
    _rec_name = "partner_id"

    policy_id = fields.Many2one(
        "credit.insurance.policy", required=True, index=True, ondelete="cascade",
        check_company=True, tracking=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner", string="Buyer", required=True, index=True, tracking=True,
        domain="[('parent_id', '=', False)]")
    requested_amount = fields.Monetary(tracking=True)
    requested_date = fields.Date(default=fields.Date.context_today)
    granted_amount = fields.Monetary(tracking=True)
    granted_date = fields.Date(
        string="Decision Date", tracking=True,
        help="Date of the insurer's decision (grant, reduction, refusal or withdrawal); the "
        "decision applies from this date.")
    state = fields.Selection(
        [("requested", "Requested"), ("granted", "Granted"), ("reduced", "Reduced"),
         ("refused", "Refused"), ("withdrawn", "Withdrawn"), ("expired", "Expired")],
        default="requested", required=True, tracking=True, index=True)
    expiry_date = fields.Date(tracking=True)
    insurer_grade = fields.Char(string="Insurer's Buyer Grade", tracking=True,
                                help="The insurer's rating of the buyer, e.g. 1 to 10.")
    insurer_reference = fields.Char(tracking=True)
    note = fields.Text()

    _amounts_positive = models.Constraint(
        "CHECK (requested_amount >= 0 AND granted_amount >= 0)",
        "Requested and granted amounts cannot be negative.",
    )

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "requested_amount": AMOUNT, "granted_amount": AMOUNT,
                "requested_date": DATES, "granted_date": DATES, "expiry_date": DATES}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "policy_id", "partner_id")

    @api.constrains("partner_id")
    def _check_buyer(self):
        """Covers are decided per buyer company: a contact's orders count on its company."""
        for cover in self:
            buyer = cover.partner_id
            if buyer.commercial_partner_id != buyer:
                raise ValidationError(self.env._(
                    "Record the cover of %(contact)s on its company %(buyer)s.",
                    contact=buyer.display_name, buyer=buyer.commercial_partner_id.display_name))

    @api.constrains("state", "granted_date", "granted_amount")
    def _check_decision(self):
        for cover in self:
            if cover.state != "requested" and not cover.granted_date:
                raise ValidationError(self.env._(
                    "Give the date of the insurer's decision for %(buyer)s.",
                    buyer=cover.partner_id.display_name))
            if cover.state in ("granted", "reduced") and not cover.granted_amount:
                raise ValidationError(self.env._(
                    "A granted or reduced cover for %(buyer)s needs an amount; record a refusal "
                    "or withdrawal instead.", buyer=cover.partner_id.display_name))

    @api.model_create_multi
    def create(self, vals_list):
        covers = super().create(vals_list)
        covers._cap_credit_limits()
        return covers

    def write(self, vals):
        result = super().write(vals)
        if {"state", "granted_amount", "granted_date", "expiry_date"} & set(vals):
            self._cap_credit_limits()
        return result

    @api.model
    def _cron_expire(self):
        """Daily: mark the covers past their expiry date as expired (one write, committed)."""
        covers = self.search([("state", "in", ("granted", "reduced")),
                              ("expiry_date", "<", fields.Date.context_today(self))])
        covers.write({"state": "expired"})
        self.env["ir.cron"]._commit_progress(len(covers), remaining=0)

    def _cap_credit_limits(self):
        """Lower a buyer's credit limit to its granted cover when the policy says so.

        Covers are written only by credit managers (access rights), who may change limits:
        the limit is written as that user, so the usual rights check and audit row apply.
        """
        today = fields.Date.context_today(self)
        for cover in self.filtered(lambda c: c.policy_id.cap_credit_limit
                                   and c.state in ("granted", "reduced")):
            policy = cover.policy_id
            amount, source = policy._covers(cover.partner_id, today)[cover.partner_id.id]
            if source != "named":
                continue
            company = policy.company_id
            cap = policy.currency_id._convert(amount, company.currency_id, company, today)
            partner = cover.partner_id.with_company(company)
            if company.currency_id.compare_amounts(partner.credit_limit, cap) > 0:
                partner.credit_limit = cap
