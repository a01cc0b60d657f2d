from odoo import api, fields, models
from odoo.tools import SQL


class CreditExposureEngine(models.AbstractModel):
    """Disputed invoices leave the overdue figures and are reported apart as ``disputed_amount``."""

    _inherit = "credit.exposure.engine"

    @api.model
    def _overdue_line_condition(self, date):
        return SQL(
            # NOT IN: PostgreSQL hashes the few open disputes once instead of probing per line
            "%s AND aml.move_id NOT IN (SELECT d.move_id FROM credit_dispute d"
            " WHERE d.state = 'open' AND d.move_id IS NOT NULL)",
            super()._overdue_line_condition(date))

    @api.model
    def _disputed_amounts(self, partner_ids, company_ids, date):
        """``{(partner, company): open disputed amount in company currency}`` (one query)."""
        rows = self.env.execute_query(SQL(
            """
            SELECT d.partner_id, d.company_id, d.currency_id, SUM(d.amount)
              FROM credit_dispute d
             WHERE d.state = 'open' AND d.partner_id = ANY(%(partners)s)
               AND d.company_id = ANY(%(companies)s)
             GROUP BY d.partner_id, d.company_id, d.currency_id
            """,
            partners=list(partner_ids), companies=list(company_ids),
        ))
        result = {}
        for pid, cid, currency_id, amount in rows:
            result[(pid, cid)] = result.get((pid, cid), 0.0) + self._to_company_currency(
                amount, currency_id, cid, date)
        return result

    @api.model
    def _compute_figures(self, partners, companies, date=None):
        result = super()._compute_figures(partners, companies, date=date)
        disputed = self.sudo()._disputed_amounts(
            partners.commercial_partner_id.ids, companies.ids,
            date or fields.Date.context_today(self))
        for key, figures in result.items():
            figures["disputed_amount"] = figures["currency"].round(disputed.get(key, 0.0))
        return result
