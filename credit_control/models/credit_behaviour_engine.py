from odoo import api, fields, models
from odoo.tools import SQL

from .credit_value_bounds import MAX_DAYS, shift_date

# Keys of the figures returned by CreditBehaviourEngine._compute_behaviour, in display order.
BEHAVIOUR_KEYS = (
    "avg_days_to_pay", "avg_days_late", "on_time_share", "dso", "invoices_paid_count",
    "highest_exposure", "dunning_steps", "dunning_level", "disputes", "sales_12m", "sales_90d",
)


class CreditBehaviourEngine(models.AbstractModel):
    """How customers pay: the payment behaviour figures of many customers at once.

    Public interface (used by the snapshot job, the customer's Credit tab, the scorecard and
    the credit reviews): :meth:`_compute_behaviour`. Every figure is computed for all the
    requested commercial partners and companies with one SQL statement per figure family
    (payments, sales, snapshots, dunning and disputes), in each company's currency, whatever
    the number of customers or invoices.

    Definitions (over the 12 months up to the date, unless said otherwise):

    - a *paid instalment* is a receivable line of a posted customer invoice that is fully
      reconciled, whose last payment falls in the 12 months. Its *payment date* is the latest
      date of its reconciliations with payments (``account.partial.reconcile.max_date``);
      amounts settled by credit notes are not payments: they neither weigh nor date it, and an
      instalment settled only by credit notes is left out;
    - ``avg_days_to_pay``: days from the invoice date to the payment date, weighted by the amount
      paid (company currency);
    - ``avg_days_late``: days from the instalment's due date to the payment date (0 when paid
      on time or early), weighted the same way;
    - ``on_time_share``: percentage of the amount paid that was paid by its due date;
    - ``invoices_paid_count``: invoices with at least one paid instalment;
    - ``dso``: days sales outstanding = open receivable ÷ credit sales of the last 90 days × 90
      (credit sales: posted invoices less credit notes by invoice date). With no sales in the
      90 days it is 0 when nothing is owed and :data:`MAX_DAYS` when something is;
    - ``highest_exposure``: the highest exposure of the daily snapshots (``credit.partner.snapshot``);
    - ``dunning_steps``: dunning steps executed; ``dunning_level``: the highest position reached
      in a dunning procedure (1 = its first level, 0 = never dunned);
    - ``disputes``: invoice disputes opened;
    - ``sales_12m`` / ``sales_90d``: credit sales of the last 12 months / 90 days.
    """

    _name = "credit.behaviour.engine"
    _description = "Credit Payment Behaviour Engine"

    @api.model
    def _compute_behaviour(self, partners, companies, date=None):
        """Payment behaviour of every (commercial partner, company) pair.

        :param partners: customers (any contact; figures are on the commercial partner)
        :param companies: companies whose books are read
        :param date: the day of the figures (default today)
        :return: ``{(partner_id, company_id): {key: value}}`` with the keys of
            :data:`BEHAVIOUR_KEYS` (days rounded to two decimals, amounts in company currency)
            plus ``receivable`` (the exposure engine's open receivable) and ``currency``.
        """
        self = self.sudo()  # figures need every invoice and payment; only numbers are returned
        self.env.flush_all()
        date = date or fields.Date.context_today(self)
        partner_ids = partners.commercial_partner_id.ids
        company_ids = companies.ids
        year_ago = shift_date(date, months=-12)
        payments = self._payment_figures(partner_ids, company_ids, year_ago, date)
        sales = self._sales_figures(partner_ids, company_ids, year_ago, shift_date(date, days=-90), date)
        highest = self._highest_exposures(partner_ids, company_ids, year_ago, date)
        dunning = self._dunning_figures(partner_ids, company_ids, year_ago, date)
        exposure = self.env["credit.exposure.engine"]
        receivables = exposure._fetch_amounts(
            partner_ids, {}, date, receivable=exposure._receivable_query(partner_ids, company_ids, date))[0]
        result = {}
        for company in companies:
            currency = company.currency_id
            for pid in partner_ids:
                key = (pid, company.id)
                weight, days_to_pay, days_late, on_time, count = payments.get(key, (0.0, 0.0, 0.0, 0.0, 0))
                sales_12m, sales_90d = sales.get(key, (0.0, 0.0))
                receivable = currency.round((receivables.get(key) or (0.0,))[0] or 0.0)
                steps, level, disputes = dunning.get(key, (0, 0, 0))
                result[key] = {
                    "avg_days_to_pay": round(days_to_pay / weight, 2) if weight else 0.0,
                    "avg_days_late": round(days_late / weight, 2) if weight else 0.0,
                    "on_time_share": round(100.0 * on_time / weight, 2) if weight else 0.0,
                    "invoices_paid_count": count,
                    "dso": self._dso(receivable, sales_90d, currency),
                    "highest_exposure": currency.round(highest.get(key, 0.0)),
                    "dunning_steps": steps,
                    "dunning_level": level,
                    "disputes": disputes,
                    "sales_12m": currency.round(sales_12m),
                    "sales_90d": currency.round(sales_90d),
                    "receivable": receivable,
                    "has_payments": bool(weight),
                    "currency": currency,
                }
        return result

    @api.model
    def _dso(self, receivable, sales_90d, currency):
        if currency.compare_amounts(sales_90d, 0.0) > 0:
            return round(min(max(receivable, 0.0) / sales_90d * 90.0, MAX_DAYS), 2)
        return float(MAX_DAYS) if currency.compare_amounts(receivable, 0.0) > 0 else 0.0

    @api.model
    def _payment_figures(self, partner_ids, company_ids, date_from, date):
        """``{(partner, company): (amount paid, Σ amount × days to pay, Σ amount × days late,
        amount paid on time, invoices paid)}`` over the instalments paid after ``date_from`` up
        to ``date`` (see the class docstring)."""
        self.env.cr.execute(SQL(
            """
            WITH paid AS (
                SELECT am.id AS move_id, am.commercial_partner_id, aml.company_id,
                       am.invoice_date, COALESCE(aml.date_maturity, am.invoice_date) AS due,
                       SUM(apr.amount) AS amount, MAX(apr.max_date) AS paid_on
                  FROM account_move_line aml
                  JOIN account_move am ON am.id = aml.move_id
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                  JOIN account_move_line cl ON cl.id = apr.credit_move_id
                  JOIN account_move cm ON cm.id = cl.move_id
                 WHERE am.move_type = 'out_invoice' AND am.state = 'posted' AND aml.reconciled
                   AND %(receivable)s
                   AND cm.move_type != 'out_refund'
                   AND am.commercial_partner_id = ANY(%(partners)s)
                   AND aml.company_id = ANY(%(companies)s)
                 GROUP BY am.id, aml.id
            )
            SELECT commercial_partner_id, company_id, SUM(amount),
                   SUM(amount * GREATEST(paid_on - invoice_date, 0)),
                   SUM(amount * GREATEST(paid_on - due, 0)),
                   COALESCE(SUM(amount) FILTER (WHERE paid_on <= due), 0),
                   COUNT(DISTINCT move_id)
              FROM paid
             WHERE paid_on > %(date_from)s AND paid_on <= %(date)s AND amount > 0
             GROUP BY commercial_partner_id, company_id
            """,
            receivable=self.env["credit.exposure.engine"]._receivable_account_condition(),
            partners=partner_ids, companies=company_ids, date_from=date_from, date=date))
        return {(pid, cid): (float(weight), float(to_pay), float(late), float(on_time), count)
                for pid, cid, weight, to_pay, late, on_time, count in self.env.cr.fetchall()}

    @api.model
    def _sales_figures(self, partner_ids, company_ids, date_from, date_90, date):
        """``{(partner, company): (credit sales since date_from, credit sales since date_90)}``
        of posted invoices less credit notes, company currency, by invoice date."""
        self.env.cr.execute(SQL(
            """
            SELECT am.commercial_partner_id, am.company_id, SUM(am.amount_total_signed),
                   COALESCE(SUM(am.amount_total_signed) FILTER (WHERE am.invoice_date > %(date_90)s), 0)
              FROM account_move am
             WHERE am.state = 'posted' AND am.move_type IN ('out_invoice', 'out_refund')
               AND am.invoice_date > %(date_from)s AND am.invoice_date <= %(date)s
               AND am.commercial_partner_id = ANY(%(partners)s) AND am.company_id = ANY(%(companies)s)
             GROUP BY am.commercial_partner_id, am.company_id
            """, partners=partner_ids, companies=company_ids, date_from=date_from, date_90=date_90,
            date=date))
        return {(pid, cid): (float(s12), float(s90)) for pid, cid, s12, s90 in self.env.cr.fetchall()}

    @api.model
    def _highest_exposures(self, partner_ids, company_ids, date_from, date):
        """``{(partner, company): highest exposure of the snapshots after date_from up to date}``."""
        self.env.cr.execute(SQL(
            """
            SELECT partner_id, company_id, MAX(exposure) FROM credit_partner_snapshot
             WHERE partner_id = ANY(%(partners)s) AND company_id = ANY(%(companies)s)
               AND date > %(date_from)s AND date <= %(date)s
             GROUP BY partner_id, company_id
            """, partners=partner_ids, companies=company_ids, date_from=date_from, date=date))
        return {(pid, cid): float(amount or 0.0) for pid, cid, amount in self.env.cr.fetchall()}

    @api.model
    def _dunning_figures(self, partner_ids, company_ids, date_from, date):
        """``{(partner, company): (dunning steps, highest level position, disputes opened)}``
        after ``date_from`` up to ``date``, in one statement."""
        self.env.cr.execute(SQL(
            """
            SELECT partner_id, company_id, SUM(steps), MAX(level), SUM(disputes) FROM (
                SELECT e.partner_id, e.company_id, 1 AS steps,
                       (SELECT COUNT(*) FROM credit_dunning_level l2
                         WHERE l2.procedure_id = l.procedure_id
                           AND (l2.days_overdue, l2.sequence, l2.id) <= (l.days_overdue, l.sequence, l.id)
                       ) AS level, 0 AS disputes
                  FROM credit_dunning_event e
                  JOIN credit_dunning_level l ON l.id = e.level_id
                 WHERE e.state IN ('done', 'fallback') AND e.date > %(date_from)s AND e.date <= %(date)s
                   AND e.partner_id = ANY(%(partners)s) AND e.company_id = ANY(%(companies)s)
                UNION ALL
                SELECT d.partner_id, d.company_id, 0, 0, 1
                  FROM credit_dispute d
                 WHERE d.create_date::date > %(date_from)s AND d.create_date::date <= %(date)s
                   AND d.partner_id = ANY(%(partners)s) AND d.company_id = ANY(%(companies)s)
            ) u GROUP BY partner_id, company_id
            """, partners=partner_ids, companies=company_ids, date_from=date_from, date=date))
        return {(pid, cid): (int(steps), int(level), int(disputes))
                for pid, cid, steps, level, disputes in self.env.cr.fetchall()}
