from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .credit_value_bounds import AMOUNT, DATES

PROBATION_FIELDS = ("credit_probation", "credit_target_limit", "credit_probation_stage",
                    "credit_probation_since", "credit_probation_proposed_limit")


class ResPartner(models.Model):
    """A customer in probation: its limit starts at the grade's start limit and steps up to
    the target limit as it pays on time (``credit.probation.engine``), per company."""

    _inherit = "res.partner"

    credit_probation = fields.Boolean(
        string="In Probation", company_dependent=True, tracking=True,
        help="The credit limit steps up from the grade's start limit as invoices are paid on time.")
    credit_target_limit = fields.Float(
        string="Target Limit", company_dependent=True, tracking=True,
        help="Limit the probation steps up to (as approved at the last review); the grade's cap "
        "if empty.")
    credit_probation_stage = fields.Integer(string="Probation Stage", company_dependent=True)
    credit_probation_since = fields.Date(
        string="Current Step Since", company_dependent=True,
        help="Invoices count for the next step from this date.")
    credit_probation_proposed_limit = fields.Float(
        string="Proposed Limit", company_dependent=True,
        help="Next step waiting for a credit manager's approval.")
    credit_probation_next_limit = fields.Monetary(
        string="Next Step", currency_field="credit_currency_id", compute="_compute_credit_probation")
    credit_probation_progress = fields.Char(string="Next Step Needs", compute="_compute_credit_probation")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "credit_target_limit": AMOUNT, "credit_probation_since": DATES,
                "credit_probation_proposed_limit": AMOUNT, "credit_probation_stage": (0, 1000)}

    @api.depends_context("company")
    def _compute_credit_probation(self):
        company = self.env.company
        engine = self.env["credit.probation.engine"].sudo()
        partners = self.filtered(lambda p: p.with_company(company).sudo().credit_probation)
        plans = engine._plans(partners.commercial_partner_id, company, fields.Date.context_today(self)) \
            if partners else {}
        for partner in self:
            plan = plans.get(partner.commercial_partner_id.id)
            partner.credit_probation_next_limit = plan["next_limit"] if plan else 0.0
            partner.credit_probation_progress = plan["progress"] if plan else False

    def _check_credit_manager_rights(self, vals, creating=False):
        """The probation, its target and its steps are a credit manager's decisions too."""
        result = super()._check_credit_manager_rights(vals, creating=creating)
        if (set(PROBATION_FIELDS) & set(vals) and not self.env.su
                and not self.env.user.has_group("credit_control.group_credit_manager")):
            raise AccessError(self.env._("Only a credit manager can change the probation of a customer."))
        return result

    def action_credit_start_probation(self):
        """Start the probation in the current company: the grade's start limit, its target."""
        self._check_credit_probation_manager()
        for partner in self:
            profile = partner.commercial_partner_id.with_company(self.env.company)
            grade = profile.credit_grade_id
            if not grade.probation_start_limit:
                raise UserError(self.env._(
                    "Grade %(grade)s of %(partner)s has no probation start limit.",
                    grade=grade.display_name or self.env._("(none)"), partner=profile.display_name))
            profile.with_context(credit_audit_reason=self.env._("Probation started")).write({
                "credit_probation": True, "credit_limit": grade.probation_start_limit,
                "credit_target_limit": profile.credit_target_limit or grade.max_credit_limit,
                "credit_probation_stage": 1, "credit_probation_since": fields.Date.context_today(self),
                "credit_probation_proposed_limit": 0.0})
        return True

    def action_credit_apply_probation_step(self):
        """Apply the proposed step (a credit manager's approval of the job's proposal)."""
        self._check_credit_probation_manager()
        engine = self.env["credit.probation.engine"]
        for partner in self:
            profile = partner.commercial_partner_id.with_company(self.env.company)
            if not profile.credit_probation_proposed_limit:
                raise UserError(self.env._("No step is proposed for %(partner)s.", partner=profile.display_name))
            engine._apply_step(profile, profile.credit_probation_proposed_limit,
                               self.env._("Proposed probation step approved"), fields.Date.context_today(self))
        return True

    def _check_credit_probation_manager(self):
        if not self.env.user.has_group("credit_control.group_credit_manager"):
            raise AccessError(self.env._("Only a credit manager can change the probation of a customer."))
