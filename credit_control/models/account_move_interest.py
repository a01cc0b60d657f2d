from collections import defaultdict

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
        help="Interest accrued until today on the overdue instalments not yet invoiced: the rate of "
        "the customer's grade, else the company's, simple, actual/365, on what was left to pay each day.")

    @api.depends_context("company")
    def _compute_credit_late_interest(self):
        amounts = self._credit_late_interest(fields.Date.context_today(self), uninvoiced=True)
        for move in self:
            move.credit_late_interest = move.currency_id.round(
                sum(amount for _since, amount in amounts.get(move.id, {}).values()))

    def _credit_interest_rates(self):
        """``{move id: annual rate in %}`` of the posted customer invoices among these: the rate
        of the customer's grade in the invoice's company, else the company's. Read in SQL and
        one read of the grades per company (a recordset filter over 85,000 invoices at L took
        seconds in the ORM's prefetching)."""
        self.env.flush_all()
        by_company = defaultdict(list)
        for move_id, company_id, partner_id in self.env.execute_query(SQL(
                """SELECT id, company_id, commercial_partner_id FROM account_move
                    WHERE id = ANY(%s) AND move_type = 'out_invoice' AND state = 'posted'""", self.ids)):
            by_company[company_id].append((move_id, partner_id))
        rates = {}
        for company_id, moves in by_company.items():
            company = self.env["res.company"].browse(company_id)
            partners = self.env["res.partner"].browse({partner_id for _move_id, partner_id in moves})
            grades = {partner.id: partner.credit_grade_id.late_interest_rate
                      for partner in partners.with_company(company).sudo()}
            for move_id, partner_id in moves:
                rates[move_id] = grades.get(partner_id) or company.credit_late_interest_rate
        return rates

    def _credit_late_interest(self, until, uninvoiced=False):
        """``{move id: {instalment id: (first day, interest)}}`` of these invoices until ``until``
        (excluded), from each instalment's due date or the end of the interest already charged
        on it (``credit.late.interest.charge``; with ``uninvoiced``, already invoiced), unrounded;
        two queries for them all."""
        result = {}
        for item in self._credit_late_interest_items(until, uninvoiced=uninvoiced):
            result.setdefault(item["move_id"], {})[item["id"]] = (item["since"], item["interest"])
        return result

    def _credit_late_interest_items(self, until, uninvoiced=False):
        """The instalments of these invoices due before ``until``, each with the interest it
        accrued until ``until`` (excluded) and not yet charged: dicts ``id``, ``move_id``,
        ``date_maturity``, ``amount_currency`` and ``balance`` (the instalment in the invoice's
        and in the company's currency), ``residual_currency`` (what the payments dated on or
        before ``until`` left open), ``since`` (first day counted) and ``interest`` (invoice
        currency, unrounded). Counted from the end of the last charge, or with ``uninvoiced``
        of the last invoiced charge (what the customer has not been billed yet: interest charged
        by a step but invoiced at the month's end is still shown). None for disputed invoices or
        invoices covered by an active payment plan; two queries for them all."""
        rates = self.filtered("id")._credit_interest_rates()
        moves = [move_id for move_id, rate in rates.items() if rate]
        if not moves:
            return []
        lines = self.env.execute_query_dict(SQL(
            """
            SELECT aml.id, aml.move_id, aml.date_maturity, aml.amount_currency, aml.balance,
                   (SELECT MAX(c.date_to) FROM credit_late_interest_charge c
                     WHERE c.move_line_id = aml.id AND (NOT %(uninvoiced)s OR c.invoice_id IS NOT NULL))
                       AS charged_to
              FROM account_move_line aml
             WHERE aml.move_id = ANY(%(moves)s) AND aml.display_type = 'payment_term'
               AND aml.date_maturity < %(until)s AND aml.amount_currency > 0
               AND aml.move_id NOT IN (SELECT d.move_id FROM credit_dispute d
                                        WHERE d.state = 'open' AND d.move_id IS NOT NULL)
               AND aml.move_id NOT IN (%(planned)s)
             ORDER BY aml.date_maturity, aml.move_id, aml.id
            """, moves=moves, until=until, uninvoiced=uninvoiced,
            planned=self.env["credit.payment.plan"]._active_moves_query()))
        payments = {}
        for line_id, paid_on, amount in self.env.execute_query(SQL(
                "SELECT debit_move_id, max_date, debit_amount_currency FROM account_partial_reconcile"
                " WHERE debit_move_id = ANY(%s)", [line["id"] for line in lines])):
            payments.setdefault(line_id, []).append((paid_on, amount))
        for line in lines:
            since = line.pop("charged_to")  # a charge covers the days before its date_to
            paid = payments.get(line["id"], [])
            line["residual_currency"] = line["amount_currency"] - sum(
                amount for paid_on, amount in paid if paid_on <= until)
            line["interest"] = accrued_interest(line["amount_currency"], line["date_maturity"], paid,
                                                until, rates[line["move_id"]], since=since)
            line["since"] = since or line["date_maturity"]
        return lines
