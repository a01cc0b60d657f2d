from odoo import api, fields, models


class CreditExposureEngine(models.AbstractModel):
    """Insurance block reason: once the buyer's oldest overdue is older than the policy's
    maximum extension period, further deliveries are not insured, so credit sales stop."""

    _inherit = "credit.exposure.engine"

    @api.model
    def _check_more_reasons(self, partner, company, figures, amount):
        reasons = super()._check_more_reasons(partner, company, figures, amount)
        oldest = figures["oldest_overdue_date"]
        if not oldest:
            return reasons
        rule = self.env["credit.insurance.policy"]._extension_rule(
            company.id, fields.Date.context_today(self))
        if not rule:
            return reasons
        policy_id, max_extension_days, excluded_ids = rule
        if partner.credit_not_insurable or partner.id in excluded_ids:
            return reasons
        if figures["oldest_overdue_days"] > max_extension_days:
            reasons.append(("insurance_max_extension", self.env._(
                "The oldest overdue invoice of %(partner)s is %(days)s days past due, beyond the "
                "maximum extension period of %(max)s days of insurance policy %(policy)s: "
                "further credit sales are not insured.",
                partner=partner.display_name, days=figures["oldest_overdue_days"],
                max=max_extension_days,
                policy=self.env["credit.insurance.policy"].sudo().browse(policy_id).name)))
        return reasons
