from functools import partial

from odoo import api, fields, models
from odoo.tools import SQL, float_round, formatLang


class CreditExposureEngine(models.AbstractModel):
    """The one place that computes credit figures and credit verdicts.

    Partner fields, the sale-order block, the invoice banner and the reports all call
    :meth:`_compute_figures`. It works on many partners and companies at once with one SQL
    statement, whatever the number of invoices or orders, and returns amounts in each
    company's currency.

    Exposure is the open receivable plus the components listed by :meth:`_exposure_components`;
    a sub-module adds one by extending that list and providing its query. The receivable and
    the overdue figures come from one pass over the open receivable lines.
    """

    _name = "credit.exposure.engine"
    _description = "Credit Exposure Engine"

    # ------------------------------------------------------------------ components
    @api.model
    def _exposure_components(self):
        """Ordered ``(key, label, method name)`` of the components added to the receivable.

        Each method takes ``(partner_ids, company_ids, date)`` and returns an ``SQL`` query of
        rows ``(partner id, company id, currency id, amount)`` for the customers
        ``partner_ids`` (commercial partners) in ``company_ids``. The partner may be any
        contact of the customer (:meth:`_member_ids` lists them): the engine adds it up on the
        commercial partner. A NULL currency means the company's; amounts in another currency
        are converted at ``date``.
        """
        return [
            ("draft_invoices", self.env._("Draft invoices"), "_exposure_draft_invoices"),
            ("uninvoiced_orders", self.env._("Orders not invoiced"), "_exposure_uninvoiced_orders"),
        ]

    @api.model
    def _amount_queries(self, partner_ids, company_ids, date):
        """``{key: SQL}`` of every amount reported with the figures, shaped like the
        component queries: the exposure components, and what an extension adds for
        information only (not part of the exposure)."""
        return {key: getattr(self, method)(partner_ids, company_ids, date)
                for key, _label, method in self._exposure_components()}

    @api.model
    def _member_ids(self):
        """SQL array of the contacts (the commercial partners included) of the customers whose
        figures are computed: :meth:`_fetch_amounts` reads them once per statement, as
        ``credit_members``."""
        return SQL("ARRAY(SELECT id FROM credit_members)")

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
    def _receivable_query(self, partner_ids, company_ids, date):
        """SQL of rows ``(partner, company, receivable, overdue amount, oldest due date)`` on
        ``date``, per contact like the component queries: posted, unreconciled receivable
        (invoices less credit notes and unapplied payments), and the part of it overdue.

        Grouped by contact, the lines are summed straight from the covering index in its own
        order: no sort of the lines, whatever their number.
        """
        overdue = self._overdue_line_condition(date)
        return SQL(
            """
            SELECT aml.partner_id, aml.company_id, SUM(aml.amount_residual),
                   SUM(aml.amount_residual) FILTER (WHERE %(overdue)s),
                   MIN(COALESCE(aml.date_maturity, aml.date)) FILTER (WHERE %(overdue)s)
              FROM account_move_line aml
             WHERE %(cond)s AND aml.partner_id = ANY(%(members)s)
               AND aml.company_id = ANY(%(companies)s)
             GROUP BY aml.partner_id, aml.company_id
            """,
            overdue=overdue, cond=self._receivable_line_condition(),
            members=self._member_ids(), companies=list(company_ids),
        )

    @api.model
    def _exposure_draft_invoices(self, partner_ids, company_ids, date):
        """Draft customer invoices less draft credit notes, in company currency."""
        return SQL(
            """
            SELECT am.commercial_partner_id, am.company_id, NULL::integer, SUM(am.amount_total_signed)
              FROM account_move am
             WHERE am.state = 'draft' AND am.move_type IN ('out_invoice', 'out_refund')
               AND am.commercial_partner_id = ANY(%(partners)s)
               AND am.company_id = ANY(%(companies)s)
             GROUP BY am.commercial_partner_id, am.company_id
            """,
            partners=list(partner_ids), companies=list(company_ids),
        )

    @api.model
    def _exposure_uninvoiced_orders(self, partner_ids, company_ids, date):
        """Confirmed order lines not yet invoiced, tax included, in the order currency, on the
        invoice address.

        ``qty_invoiced`` counts draft and posted invoices, so what is invoiced moves to the
        draft-invoice or receivable component and is never counted twice.
        """
        return SQL(
            """
            SELECT so.partner_invoice_id, so.company_id, so.currency_id,
                   SUM(sol.price_total * GREATEST(sol.product_uom_qty - sol.qty_invoiced, 0)
                       / sol.product_uom_qty)
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
             WHERE so.state = 'sale' AND sol.display_type IS NULL
               AND sol.product_uom_qty > 0 AND NOT COALESCE(sol.is_downpayment, FALSE)
               AND so.partner_invoice_id = ANY(%(members)s)
               AND so.company_id = ANY(%(companies)s)
             GROUP BY so.partner_invoice_id, so.company_id, so.currency_id
            """,
            members=self._member_ids(), companies=list(company_ids),
        )

    @api.model
    def _to_company_currency(self, amount, currency_id, company_id, date):
        if not currency_id:
            return amount
        company = self.env["res.company"].browse(company_id)
        currency = self.env["res.currency"].browse(currency_id)
        if currency == company.currency_id:
            return amount
        return currency._convert(amount, company.currency_id, company, date, round=False)

    @api.model
    def _fetch_amounts(self, partner_ids, queries, date, receivable=None, lock=None):
        """Run the amount ``queries`` (``{key: SQL}``) of the customers ``partner_ids``, and the
        ``receivable`` query if given, as one statement that adds every row up on its
        commercial partner: one round trip to the database for all the figures. The contacts
        of the customers are read once, as ``credit_members`` (see :meth:`_member_ids`).
        ``lock`` is a data-modifying statement run by the same statement first (the check's
        serialization row); the serialization failure it may raise is expected and not logged.

        :return: ``(receivables, amounts)``: ``{(partner, company): (receivable, overdue,
            oldest due date)}`` and ``{key: {(partner, company): amount in company currency}}``
            (commercial partners).
        """
        # cr.execute rather than env.execute_query: the lock's expected serialization failure
        # must not be logged.
        parts = [SQL("SELECT NULL::text, r.*, NULL::integer FROM (%s) r", receivable)] if receivable else []
        parts += [SQL("SELECT %s::text, c.partner_id, c.company_id, c.amount, NULL::numeric, NULL::date,"
                      " c.currency_id FROM (%s) c(partner_id, company_id, currency_id, amount)", key, query)
                  for key, query in queries.items()]
        self.env.cr.execute(SQL(
            """
            WITH %s credit_members AS (
                SELECT id, commercial_partner_id FROM res_partner
                 WHERE commercial_partner_id = ANY(%s))
            SELECT u.key, m.commercial_partner_id, u.company_id, u.currency_id, SUM(u.amount),
                   SUM(u.overdue), MIN(u.oldest)
              FROM (%s) u(key, partner_id, company_id, amount, overdue, oldest, currency_id)
              JOIN credit_members m ON m.id = u.partner_id
             GROUP BY u.key, m.commercial_partner_id, u.company_id, u.currency_id
            """, SQL("credit_lock AS (%s),", lock) if lock else SQL(), list(partner_ids),
            SQL(" UNION ALL ").join(parts)), log_exceptions=not lock)
        receivables, amounts = {}, {key: {} for key in queries}
        for key, pid, cid, currency_id, amount, overdue, oldest in self.env.cr.fetchall():
            if key is None:  # the receivable
                receivables[(pid, cid)] = (amount, overdue, oldest)
                continue
            figures = amounts[key]
            figures[(pid, cid)] = figures.get((pid, cid), 0.0) + self._to_company_currency(
                amount or 0.0, currency_id, cid, date)
        return receivables, amounts

    # ------------------------------------------------------------------ figures
    @api.model
    def _compute_figures(self, partners, companies, date=None, lock=None):
        """Credit figures of every (commercial partner, company) pair, in one query (which
        runs the ``lock`` statement first if given, see :meth:`_fetch_amounts`).

        :return: ``{(partner_id, company_id): dict}`` with one key per amount of
            :meth:`_amount_queries` and ``receivable``, ``exposure`` (the receivable plus the
            exposure components), ``credit_limit``, ``available``, ``overdue_amount``,
            ``oldest_overdue_date``, ``oldest_overdue_days``, ``currency`` (company currency).
        """
        self = self.sudo()  # figures need every invoice and order; only numbers are returned
        self.env.flush_all()  # the components read invoices, payments and orders in SQL
        date = date or fields.Date.context_today(self)
        partners = partners.commercial_partner_id
        partner_ids, company_ids = partners.ids, companies.ids
        exposure_keys = [key for key, _label, _method in self._exposure_components()]
        receivables, amounts = self._fetch_amounts(
            partner_ids, self._amount_queries(partner_ids, company_ids, date), date,
            receivable=self._receivable_query(partner_ids, company_ids, date), lock=lock)
        result = {}
        for company in companies:
            currency = company.currency_id
            # res.currency.round without its per-call field reads: five roundings per customer.
            rnd = partial(float_round, precision_rounding=currency.rounding)
            limits = dict(zip(partner_ids, partners.sudo().with_company(company).mapped("credit_limit"), strict=True))
            for pid in partner_ids:
                key = (pid, company.id)
                receivable, overdue_amount, oldest = receivables.get(key, (0.0, 0.0, None))
                # Most customers have nothing in most components: round only what is there.
                figures = {k: rnd(amount) if (amount := values.get(key)) else 0.0
                           for k, values in amounts.items()}
                figures["receivable"] = rnd(receivable)
                exposure = rnd(figures["receivable"] + sum(figures[k] for k in exposure_keys))
                figures.update(
                    exposure=exposure,
                    credit_limit=limits[pid],
                    available=rnd(limits[pid] - exposure),
                    overdue_amount=rnd(overdue_amount or 0.0),
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
               date=None, lock=True, figures=None):
        """Reasons why a new credit sale of ``amount`` (company currency) to ``partner`` in
        ``company`` breaks the credit policy, as a list of ``(code, message)``. ``counted`` is
        the part of ``amount`` the exposure already includes (a saved draft invoice).

        With ``lock``, writes the (partner, company) serialization row first, so that two
        concurrent checks for the same customer cannot both pass on stale snapshots.
        ``figures``: the pair's figures from :meth:`_compute_figures`, when many documents are
        checked at once without a lock (the "blocked by credit" search).
        """
        if not self._is_controlled(partner, company):
            return []
        commercial = partner.commercial_partner_id
        profile = commercial.with_company(company).sudo()
        grade = profile.credit_grade_id
        if figures is None:
            lock = self.env["credit.check.lock"]._touch_query(commercial, company) if lock else None
            figures = self._compute_figures(
                commercial, company, date=date, lock=lock)[(commercial.id, company.id)]
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
            reasons += self._grade_reasons(grade, figures, payment_term, prepaid, money)
        reasons += self._check_more_reasons(profile, company, figures, amount)
        return reasons

    @api.model
    def _grade_reasons(self, grade, figures, payment_term, prepaid, money):
        """Reasons from the customer's grade: overdue beyond its tolerance, a payment term it
        does not allow, prepayment it requires. The rules come from the registry cache; the
        grade itself is read only to word a reason."""
        tolerance_days, tolerance_amount, allowed_term_ids, prepayment_required = (
            self.env["credit.grade"]._credit_rules(grade.id))
        reasons = []
        if (figures["oldest_overdue_days"] > tolerance_days
                and figures["currency"].compare_amounts(figures["overdue_amount"], tolerance_amount) > 0):
            reasons.append(("overdue", self.env._(
                "Overdue beyond the tolerance of grade %(grade)s: %(amount)s overdue, oldest "
                "%(days)s days (tolerated: %(tol_amount)s, %(tol_days)s days).",
                grade=grade.display_name, amount=money(figures["overdue_amount"]),
                days=figures["oldest_overdue_days"], tol_amount=money(tolerance_amount),
                tol_days=tolerance_days)))
        if payment_term and allowed_term_ids and payment_term.id not in allowed_term_ids:
            reasons.append(("payment_term", self.env._(
                "Payment term %(term)s is not allowed for grade %(grade)s (allowed: %(allowed)s).",
                term=payment_term.display_name, grade=grade.display_name,
                allowed=", ".join(grade.allowed_payment_term_ids.mapped("display_name")))))
        if prepayment_required and not prepaid:
            reasons.append(("prepayment", self.env._(
                "Grade %(grade)s requires prepayment: the order must be paid before it is "
                "confirmed.", grade=grade.display_name)))
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
