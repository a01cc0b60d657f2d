from odoo import api, fields, models
from odoo.tools import SQL

from .late_interest import accrued_interest


class AccountMove(models.Model):
    """Late-payment interest accrued on a customer invoice's overdue instalments (invoice
    currency), by the rule of ``late_interest``; none for disputed invoices or invoices
    covered by an active payment plan."""

    _inherit = "account.move"

    credit_late_interest = fields.Monetary(
        string="Late Interest", compute="_compute_credit_late_interest",
        help="Interest accrued until today on the overdue instalments not yet charged: the rate of "
        "the customer's grade, else the company's, simple, actual/365, on what was left to pay each day.")

    @api.depends_context("company")
    def _compute_credit_late_interest(self):
        amounts = self._credit_late_interest(fields.Date.context_today(self))
        for move in self:
            move.credit_late_interest = move.currency_id.round(
                sum(amount for _since, amount in amounts.get(move.id, {}).values()))

    def _credit_interest_rate(self):
        self.ensure_one()
        grade = self.commercial_partner_id.with_company(self.company_id).sudo().credit_grade_id
        return grade.late_interest_rate or self.company_id.credit_late_interest_rate

    def _credit_late_interest(self, until):
        """``{move id: {instalment id: (first day, interest)}}`` of these invoices until ``until``
        (excluded), from each instalment's due date or the day after the interest already
        charged on it (``credit.late.interest.charge``), unrounded; two queries for them all."""
        result = {}
        for item in self._credit_late_interest_items(until):
            result.setdefault(item["move_id"], {})[item["id"]] = (item["since"], item["interest"])
        return result

    def _credit_late_interest_items(self, until):
        """The instalments of these invoices due before ``until``, each with the interest it
        accrued until ``until`` (excluded) and not yet charged: dicts ``id``, ``move_id``,
        ``date_maturity``, ``amount_currency`` and ``balance`` (the instalment in the invoice's
        and in the company's currency), ``residual_currency`` (what the payments dated on or
        before ``until`` left open), ``since`` (first day counted) and ``interest`` (invoice
        currency, unrounded). None for disputed invoices or invoices covered by an active
        payment plan; two queries for them all."""
        moves = self.filtered(lambda move: move.move_type == "out_invoice" and move.state == "posted"
                              and move.id and move._credit_interest_rate())
        if not moves:
            return []
        self.env.flush_all()
        lines = self.env.execute_query_dict(SQL(
            """
            SELECT aml.id, aml.move_id, aml.date_maturity, aml.amount_currency, aml.balance,
                   (SELECT MAX(c.date_to) FROM credit_late_interest_charge c WHERE c.move_line_id = aml.id)
                       AS charged_to
              FROM account_move_line aml
             WHERE aml.move_id = ANY(%(moves)s) AND aml.display_type = 'payment_term'
               AND aml.date_maturity < %(until)s AND aml.amount_currency > 0
               AND aml.move_id NOT IN (SELECT d.move_id FROM credit_dispute d
                                        WHERE d.state = 'open' AND d.move_id IS NOT NULL)
               AND aml.move_id NOT IN (%(planned)s)
             ORDER BY aml.date_maturity, aml.move_id, aml.id
            """, moves=moves.ids, until=until,
            planned=self.env["credit.payment.plan"]._active_moves_query()))
        payments = {}
        for line_id, paid_on, amount in self.env.execute_query(SQL(
                "SELECT debit_move_id, max_date, debit_amount_currency FROM account_partial_reconcile"
                " WHERE debit_move_id = ANY(%s)", [line["id"] for line in lines])):
            payments.setdefault(line_id, []).append((paid_on, amount))
        rates = {move.id: move._credit_interest_rate() for move in moves}
        for line in lines:
            since = line.pop("charged_to")  # a charge covers the days before its date_to
            paid = payments.get(line["id"], [])
            line["residual_currency"] = line["amount_currency"] - sum(
                amount for paid_on, amount in paid if paid_on <= until)
            line["interest"] = accrued_interest(line["amount_currency"], line["date_maturity"], paid,
                                                until, rates[line["move_id"]], since=since)
            line["since"] = since or line["date_maturity"]
        return lines
