from odoo import api, fields, models
from odoo.tools import SQL, formatLang


class CreditExposureEngine(models.AbstractModel):
    """The one place that computes credit figures and credit verdicts.

    Partner fields, the sale-order block, the invoice banner and the reports all call
    :meth:`_compute_figures`. It works on many partners and companies at once with a constant
    number of SQL queries (one per exposure component plus one for overdue figures), whatever
    the number of invoices or orders, and returns amounts in each company's currency.

    Exposure is the open receivable plus the components listed by :meth:`_exposure_components`;
    a sub-module adds one by extending that list and providing its method. The receivable and
    the overdue figures come from one pass over the open receivable lines.
    """

    _name = "credit.exposure.engine"
    _description = "Credit Exposure Engine"

    # ------------------------------------------------------------------ components
    @api.model
    def _exposure_components(self):
        """Ordered ``(key, label, method name)`` of the components added to the receivable.

        Each method takes ``(partner_ids, company_ids, date)`` and returns
        ``{(commercial_partner_id, company_id): amount in company currency}``.
        """
        return [
            ("draft_invoices", self.env._("Draft invoices"), "_exposure_draft_invoices"),
            ("uninvoiced_orders", self.env._("Orders not invoiced"), "_exposure_uninvoiced_orders"),
        ]

    @api.model
    def _receivable_line_condition(self):
        """SQL condition on ``aml`` selecting open, posted receivable lines."""
        return SQL(
            "aml.parent_state = 'posted' AND NOT aml.reconciled AND aml.amount_residual != 0 AND %s",
            self._receivable_account_condition())

    @api.model
    def _receivable_account_condition(self):
        """SQL condition on ``aml``: its account is a receivable account (as an array computed
        once, not a join per line)."""
        return SQL("aml.account_id = ANY(ARRAY(SELECT id FROM account_account"
                   " WHERE account_type = 'asset_receivable'))")

    @api.model
    def _overdue_line_condition(self, date):
        """SQL condition on an open receivable line ``aml``: it counts as overdue on ``date``.

        Extend it to leave lines out of overdue figures (e.g. disputed invoices).
        """
        return SQL("aml.amount_residual > 0 AND COALESCE(aml.date_maturity, aml.date) < %s", date)

    @api.model
    def _receivable_figures(self, partner_ids, company_ids, date):
        """``{(partner, company): (receivable, overdue amount, oldest due date)}`` on ``date``,
        in one query: posted, unreconciled receivable (invoices less credit notes and unapplied
        payments), and the part of it overdue."""
        overdue = self._overdue_line_condition(date)
        rows = self.env.execute_query(SQL(
            """
            SELECT p.commercial_partner_id, aml.company_id, SUM(aml.amount_residual),
                   SUM(aml.amount_residual) FILTER (WHERE %(overdue)s),
                   MIN(COALESCE(aml.date_maturity, aml.date)) FILTER (WHERE %(overdue)s)
              FROM account_move_line aml
              JOIN res_partner p ON p.id = aml.partner_id
             WHERE %(cond)s
               AND p.commercial_partner_id = ANY(%(partners)s)
               AND aml.company_id = ANY(%(companies)s)
             GROUP BY p.commercial_partner_id, aml.company_id
            """,
            overdue=overdue, cond=self._receivable_line_condition(), partners=list(partner_ids),
            companies=list(company_ids),
        ))
        return {(pid, cid): (receivable, overdue_amount, oldest)
                for pid, cid, receivable, overdue_amount, oldest in rows}

    @api.model
    def _exposure_draft_invoices(self, partner_ids, company_ids, date):
        """Draft customer invoices less draft credit notes, in company currency."""
        rows = self.env.execute_query(SQL(
            """
            SELECT am.commercial_partner_id, am.company_id, SUM(am.amount_total_signed)
              FROM account_move am
             WHERE am.state = 'draft' AND am.move_type IN ('out_invoice', 'out_refund')
               AND am.commercial_partner_id = ANY(%(partners)s)
               AND am.company_id = ANY(%(companies)s)
             GROUP BY am.commercial_partner_id, am.company_id
            """,
            partners=list(partner_ids), companies=list(company_ids),
        ))
        return {(pid, cid): amount for pid, cid, amount in rows}

    @api.model
    def _exposure_uninvoiced_orders(self, partner_ids, company_ids, date):
        """Confirmed order lines not yet invoiced, tax included, at ``date``'s rates.

        ``qty_invoiced`` counts draft and posted invoices, so what is invoiced moves to the
        draft-invoice or receivable component and is never counted twice.
        """
        rows = self.env.execute_query(SQL(
            """
            SELECT p.commercial_partner_id, so.company_id, so.currency_id,
                   SUM(sol.price_total * GREATEST(sol.product_uom_qty - sol.qty_invoiced, 0)
                       / sol.product_uom_qty)
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN res_partner p ON p.id = so.partner_invoice_id
             WHERE so.state = 'sale' AND sol.display_type IS NULL
               AND sol.product_uom_qty > 0 AND NOT COALESCE(sol.is_downpayment, FALSE)
               AND p.commercial_partner_id = ANY(%(partners)s)
               AND so.company_id = ANY(%(companies)s)
             GROUP BY p.commercial_partner_id, so.company_id, so.currency_id
            """,
            partners=list(partner_ids), companies=list(company_ids),
        ))
        result = {}
        for pid, cid, currency_id, amount in rows:
            key = (pid, cid)
            result[key] = result.get(key, 0.0) + self._to_company_currency(
                amount, currency_id, cid, date)
        return result

    @api.model
    def _to_company_currency(self, amount, currency_id, company_id, date):
        company = self.env["res.company"].browse(company_id)
        currency = self.env["res.currency"].browse(currency_id)
        if currency == company.currency_id:
            return amount
        return currency._convert(amount, company.currency_id, company, date, round=False)

    # ------------------------------------------------------------------ figures
    @api.model
    def _compute_figures(self, partners, companies, date=None):
        """Credit figures of every (commercial partner, company) pair.

        :return: ``{(partner_id, company_id): dict}`` with one key per component and
            ``exposure``, ``credit_limit``, ``available``, ``overdue_amount``,
            ``oldest_overdue_date``, ``oldest_overdue_days``, ``currency`` (company currency).
        """
        self = self.sudo()  # figures need every invoice and order; only numbers are returned
        self.env.flush_all()  # the components read invoices, payments and orders in SQL
        date = date or fields.Date.context_today(self)
        partners = partners.commercial_partner_id
        partner_ids, company_ids = partners.ids, companies.ids
        components = self._exposure_components()
        receivables = self._receivable_figures(partner_ids, company_ids, date)
        values = {key: getattr(self, method)(partner_ids, company_ids, date)
                  for key, _label, method in components}
        result = {}
        for company in companies:
            currency = company.currency_id
            limits = dict(zip(partner_ids, partners.sudo().with_company(company).mapped("credit_limit")))
            for pid in partner_ids:
                key = (pid, company.id)
                receivable, overdue_amount, oldest = receivables.get(key, (0.0, 0.0, None))
                figures = {k: currency.round(values[k].get(key) or 0.0) for k, _l, _m in components}
                figures["receivable"] = currency.round(receivable)
                exposure = currency.round(sum(figures.values()))
                figures.update(
                    exposure=exposure,
                    credit_limit=limits[pid],
                    available=currency.round(limits[pid] - exposure),
                    overdue_amount=currency.round(overdue_amount or 0.0),
                    oldest_overdue_date=oldest,
                    oldest_overdue_days=(date - oldest).days if oldest else 0,
                    currency=currency,
                )
                result[key] = figures
        return result

    # ------------------------------------------------------------------ verdict
    @api.model
    def _is_controlled(self, partner, company):
        """Credit control applies to customers with a limit, a grade or a hold; everyone
        else behaves as in standard Odoo."""
        partner = partner.commercial_partner_id.with_company(company).sudo()
        return bool(
            partner.credit_limit > 0 or partner.credit_grade_id or partner.credit_hold)

    @api.model
    def _check(self, partner, company, amount, counted=0.0, payment_term=None, prepaid=False,
               date=None, lock=True):
        """Reasons why a new credit sale of ``amount`` (company currency) to ``partner`` in
        ``company`` breaks the credit policy, as a list of ``(code, message)``. ``counted`` is
        the part of ``amount`` the exposure already includes (a saved draft invoice).

        With ``lock``, writes the (partner, company) serialization row first, so that two
        concurrent checks for the same customer cannot both pass on stale snapshots.
        """
        if not self._is_controlled(partner, company):
            return []
        commercial = partner.commercial_partner_id
        if lock:
            self.env["credit.check.lock"].sudo()._touch(commercial, company)
        profile = commercial.with_company(company).sudo()
        grade = profile.credit_grade_id
        figures = self._compute_figures(commercial, company, date=date)[(commercial.id, company.id)]
        currency = figures["currency"]

        def money(value):
            return formatLang(self.env, value, currency_obj=currency)

        reasons = []
        if profile.credit_hold:
            reasons.append(("hold", self.env._(
                "%(partner)s is on credit hold: %(reason)s",
                partner=commercial.display_name,
                reason=profile.credit_hold_reason or self.env._("no reason given"))))
        limit = figures["credit_limit"]
        if limit > 0:
            allowed = limit * (1 + (company.credit_tolerance_pct or 0.0) / 100.0)
            exposure = figures["exposure"] - counted
            new_exposure = exposure + amount
            if currency.compare_amounts(new_exposure, allowed) > 0:
                reasons.append(("limit", self.env._(
                    "Credit limit exceeded: exposure %(exposure)s + this document %(amount)s = "
                    "%(total)s, above the limit of %(limit)s (tolerance %(tolerance)s%%).",
                    exposure=money(exposure), amount=money(amount),
                    total=money(new_exposure), limit=money(limit),
                    tolerance=company.credit_tolerance_pct or 0)))
        if grade:
            if (figures["oldest_overdue_days"] > grade.overdue_tolerance_days
                    and currency.compare_amounts(
                        figures["overdue_amount"], grade.overdue_tolerance_amount) > 0):
                reasons.append(("overdue", self.env._(
                    "Overdue beyond the tolerance of grade %(grade)s: %(amount)s overdue, oldest "
                    "%(days)s days (tolerated: %(tol_amount)s, %(tol_days)s days).",
                    grade=grade.display_name, amount=money(figures["overdue_amount"]),
                    days=figures["oldest_overdue_days"],
                    tol_amount=money(grade.overdue_tolerance_amount),
                    tol_days=grade.overdue_tolerance_days)))
            allowed_terms = grade.allowed_payment_term_ids
            if payment_term and allowed_terms and payment_term not in allowed_terms:
                reasons.append(("payment_term", self.env._(
                    "Payment term %(term)s is not allowed for grade %(grade)s (allowed: %(allowed)s).",
                    term=payment_term.display_name, grade=grade.display_name,
                    allowed=", ".join(allowed_terms.mapped("display_name")))))
            if grade.prepayment_required and not prepaid:
                reasons.append(("prepayment", self.env._(
                    "Grade %(grade)s requires prepayment: the order must be paid before it is "
                    "confirmed.", grade=grade.display_name)))
        reasons += self._check_more_reasons(profile, company, figures, amount)
        return reasons

    @api.model
    def _check_more_reasons(self, partner, company, figures, amount):
        """Extension point: further ``(code, message)`` block reasons for a credit sale of
        ``amount`` to ``partner`` (sudo, in ``company``), given its ``figures``."""
        return []

    @api.model
    def _format_reasons(self, partner, reasons):
        """One message a user understands, listing every reason."""
        lines = "\n".join(f"• {message}" for _code, message in reasons)
        return self.env._("Credit policy for %(partner)s:\n%(lines)s",
                          partner=partner.commercial_partner_id.display_name, lines=lines)
