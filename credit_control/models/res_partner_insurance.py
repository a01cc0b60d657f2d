from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from .credit_insurance_policy import COVER_SOURCES


class ResPartner(models.Model):
    """The buyer's trade-credit insurance: its cover decisions and current cover in the
    current company, and the manager's "not insurable" flag (e.g. affiliates)."""

    _inherit = "res.partner"

    credit_not_insurable = fields.Boolean(
        string="Not Insurable",
        help="Excluded from every credit insurance policy (e.g. an affiliate company).")
    credit_insurance_limit_ids = fields.One2many(
        "credit.insurance.limit", "partner_id", string="Insurance Cover Decisions")
    credit_insurance_policy_id = fields.Many2one(
        "credit.insurance.policy", string="Insurance Policy", compute="_compute_credit_insurance_cover")
    credit_insurance_currency_id = fields.Many2one(
        "res.currency", compute="_compute_credit_insurance_cover")
    credit_insurance_cover = fields.Monetary(
        string="Current Insurance Cover", currency_field="credit_insurance_currency_id",
        compute="_compute_credit_insurance_cover")
    credit_insurance_cover_source = fields.Selection(
        COVER_SOURCES,
        string="Cover Basis", compute="_compute_credit_insurance_cover")

    @api.constrains("credit_limit")
    def _check_credit_limit_insurance_cap(self):
        """Where the policy caps limits at the cover, no limit above the named cover."""
        company = self.env.company
        today = fields.Date.context_today(self)
        policy = self.env["credit.insurance.policy"]._find(company, today)
        if not policy.cap_credit_limit:
            return
        covers = policy._covers(self.commercial_partner_id, today)
        for partner in self:
            amount, source = covers[partner.commercial_partner_id.id]
            cap = policy.currency_id._convert(amount, company.currency_id, company, today)
            if source == "named" and company.currency_id.compare_amounts(partner.credit_limit, cap) > 0:
                raise ValidationError(self.env._(
                    "The credit limit of %(partner)s (%(limit)s) is above its insurance cover "
                    "of %(cover)s %(currency)s under policy %(policy)s.",
                    partner=partner.display_name, limit=partner.credit_limit, cover=amount,
                    currency=policy.currency_id.name, policy=policy.name))

    @api.depends_context("company")
    def _compute_credit_insurance_cover(self):
        today = fields.Date.context_today(self)
        policy = self.env["credit.insurance.policy"]._find(self.env.company, today)
        covers = policy._covers(self.commercial_partner_id, today) if policy else {}
        for partner in self:
            amount, source = covers.get(partner.commercial_partner_id.id, (0.0, False))
            partner.credit_insurance_policy_id = policy
            partner.credit_insurance_currency_id = policy.currency_id or self.env.company.currency_id
            partner.credit_insurance_cover = amount
            partner.credit_insurance_cover_source = source

    def _check_credit_manager_rights(self, vals, creating=False):
        """Excluding a buyer from insurance is a credit manager's decision too."""
        result = super()._check_credit_manager_rights(vals, creating=creating)
        if ("credit_not_insurable" in vals and not self.env.su
                and not self.env.user.has_group("credit_control.group_credit_manager")
                and any(p.credit_not_insurable != bool(vals["credit_not_insurable"]) for p in self)):
            raise AccessError(self.env._("Only a credit manager can exclude a buyer from insurance."))
        return result
