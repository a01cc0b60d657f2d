from odoo import api, models
from odoo.tools import SQL


class CreditExposureEngine(models.AbstractModel):
    """Disputed invoices leave the overdue figures; the disputed amount is computed apart, only
    where it is shown (the customer's form), never by the credit check."""

    _inherit = "credit.exposure.engine"

    @api.model
    def _overdue_line_condition(self, date):
        return SQL(
            # NOT IN: PostgreSQL hashes the few open disputes once instead of probing per line
            "%s AND aml.move_id NOT IN (SELECT d.move_id FROM credit_dispute d"
            " WHERE d.state = 'open' AND d.move_id IS NOT NULL)",
            super()._overdue_line_condition(date))

    @api.model
    def _disputed_amount_query(self, partner_ids, company_ids):
        """Open disputed amounts, rows shaped like the exposure component queries."""
        return SQL(
            """
            SELECT d.partner_id, d.company_id, d.currency_id, SUM(d.amount)
              FROM credit_dispute d
             WHERE d.state = 'open' AND d.partner_id = ANY(%(partners)s)
               AND d.company_id = ANY(%(companies)s)
             GROUP BY d.partner_id, d.company_id, d.currency_id
            """,
            partners=list(partner_ids), companies=list(company_ids),
        )

    @api.model
    def _disputed_amounts(self, partner_ids, company_ids, date):
        """``{(partner, company): open disputed amount in company currency}`` (one query)."""
        queries = {"disputed_amount": self._disputed_amount_query(partner_ids, company_ids)}
        return self._fetch_amounts(partner_ids, queries, date)[1]["disputed_amount"]
