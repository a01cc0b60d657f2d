from odoo import api, models
from odoo.tools import SQL


class CreditExposureEngine(models.AbstractModel):
    """Payment plans in the overdue figures: where the company asks for it, the invoices of an
    active plan leave the overdue figures and the plan's own late instalments take their place,
    so that the credit check's overdue tolerance judges the agreement, not the old due dates.
    Same statement, same number of queries (see ``credit.payment.plan._status_query``)."""

    _inherit = "credit.exposure.engine"

    @api.model
    def _overdue_line_condition(self, date):
        return SQL("%s AND aml.move_id NOT IN (%s)", super()._overdue_line_condition(date),
                   self.env["credit.payment.plan"]._active_moves_query(judged_only=True))

    @api.model
    def _receivable_query(self, partner_ids, company_ids, date):
        """The receivable rows, plus one row per active plan with late instalments: no
        receivable (it is in the invoices' lines), its overdue amount and first unpaid date."""
        plans = self.env["credit.payment.plan"]._status_query(date, company_ids=company_ids)
        return SQL(
            """
            %(receivable)s
            UNION ALL
            SELECT s.partner_id, s.company_id, 0, s.overdue_company, s.first_unpaid
              FROM (%(plans)s) s
              JOIN res_company c ON c.id = s.company_id AND c.credit_plan_overdue_by_plan
             WHERE s.overdue_company > 0 AND s.first_unpaid < %(date)s
               AND s.partner_id = ANY(%(members)s)
            """,
            receivable=super()._receivable_query(partner_ids, company_ids, date), plans=plans, date=date,
            members=self._member_ids())
