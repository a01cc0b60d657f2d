from odoo import fields, models
from odoo.tools import SQL


class CreditCheckLock(models.Model):
    """One row per (commercial partner, company), written by every credit check.

    Odoo runs transactions at REPEATABLE READ: a plain row lock makes a concurrent check wait
    and then read its *old* snapshot, so two orders that are each fine alone could both pass.
    Updating this row instead makes the later transaction fail with a serialization error;
    Odoo's RPC layer retries it and the retry sees the first order in the exposure.
    """

    _name = "credit.check.lock"
    _description = "Credit Check Serialization Row"
    _log_access = False

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=False)
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    check_count = fields.Integer(default=0)
    last_check = fields.Datetime()

    _partner_company_uniq = models.Constraint(
        "UNIQUE (partner_id, company_id)", "One credit check row per customer and company.")

    def _touch_query(self, partner, company):
        """The statement writing the row of (partner, company), creating it if needed. The
        exposure engine runs it inside its figures statement (``lock`` of
        ``_compute_figures``), so the check pays no round trip of its own for it."""
        return SQL(
            """
            INSERT INTO credit_check_lock (partner_id, company_id, check_count, last_check)
            VALUES (%(partner)s, %(company)s, 1, now() AT TIME ZONE 'UTC')
            ON CONFLICT (partner_id, company_id) DO UPDATE
               SET check_count = credit_check_lock.check_count + 1,
                   last_check = EXCLUDED.last_check
            """,
            partner=partner.id, company=company.id,
        )
