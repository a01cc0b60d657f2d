import math

from odoo import api, fields, models

# What a factor measures. Each key is read by CreditScorecard._factor_values.
FACTORS = [
    ("days_late", "Average days late"),
    ("on_time_share", "Share paid on time (%)"),
    ("dso", "DSO (days)"),
    ("overdue_limit", "Overdue against limit (%)"),
    ("dunning_level", "Dunning level reached"),
    ("disputes", "Disputes (12 months)"),
    ("years_in_business", "Years in business"),
    ("rating", "External rating"),
    ("revenue", "Revenue"),
    ("equity", "Equity"),
    ("current_ratio", "Current ratio"),
]

# Amounts rounded down to this step in a suggested limit.
LIMIT_STEP = 100.0


class CreditScorecard(models.Model):
    """How a customer's credit score (0-100) is computed from evidence.

    Public interface (used by the snapshot job and by credit reviews):

    - :meth:`_for_company` - the scorecard of a company (its setting, else a shared one);
    - :meth:`_score_customers` - score, breakdown, suggested grade and suggested limit of many
      customers from their figures (exposure engine + behaviour engine), set-based;
    - :meth:`_suggest_grade` / :meth:`_suggest_limit` for one score or customer.

    Each factor measures one value of the customer (see ``FACTORS``) and maps it to points
    (0-100) with its bands; the score is the weighted average of the points of the factors
    that could be measured (a customer with no external rating or no financial figures is
    scored on the other factors). The breakdown keeps, per factor, the value, the points and
    the weight.
    """

    _name = "credit.scorecard"
    _description = "Credit Scorecard"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index=True, tracking=True,
        help="Leave empty to share the scorecard between companies.")
    factor_ids = fields.One2many("credit.scorecard.factor", "scorecard_id", string="Factors", copy=True)
    total_weight = fields.Float(compute="_compute_total_weight")
    note = fields.Html(translate=True)

    @api.depends("factor_ids.weight")
    def _compute_total_weight(self):
        for scorecard in self:
            scorecard.total_weight = sum(scorecard.factor_ids.mapped("weight"))

    # ------------------------------------------------------------------ business
    @api.model
    def _for_company(self, company):
        """The scorecard of ``company``: its setting, else the first active scorecard of the
        company or shared."""
        return company.sudo().credit_scorecard_id or self.sudo().search(
            [("company_id", "in", [company.id, False])], order="company_id, sequence, id", limit=1)

    @api.model
    def _score_customers(self, company, partners, figures, date):
        """Score and suggestions of ``partners`` in ``company`` on ``date``.

        :param figures: list (one per partner, same order) of dicts holding the exposure
            engine's and the behaviour engine's figures of the partner
        :return: ``{partner_id: {"score", "score_breakdown", "suggested_grade_id",
            "suggested_limit"}}``; empty without a scorecard
        """
        scorecard = self._for_company(company)
        if not scorecard:
            return {}
        ratings = self.env["credit.rating"]._latest_scores(partners.ids, date)
        financials = self._financials(company, partners, date)
        grades = self._grade_scale(company)
        covers = self._insurance_caps(company, partners, date)
        tables = scorecard._band_tables()
        result = {}
        for partner, values in zip(partners, figures, strict=True):
            score, breakdown = scorecard._score(
                self._factor_values(partner, values, ratings, financials, date), tables)
            grade = self._suggest_grade(grades, score)
            result[partner.id] = {
                "score": score, "score_breakdown": breakdown,
                "suggested_grade_id": grade.id or None,
                "suggested_limit": self._suggest_limit(
                    company, values, financials.get(partner.id, {}), grade, covers.get(partner.id)),
            }
        return result

    def _score(self, values, tables=None):
        """``(score 0-100, breakdown)`` from ``{(factor key, agency id): value or None}``;
        ``tables`` are the factors' band tables (:meth:`_band_tables`), read once per run."""
        self.ensure_one()
        tables = tables or self._band_tables()
        breakdown, total, weights = [], 0.0, 0.0
        for factor, key, weight, table in tables:
            value = values.get(key)
            points = factor._points(value, table)
            breakdown.append({"factor": key[0], "agency": factor.agency_id.name or None,
                              "value": value, "points": points, "weight": weight})
            if points is not None and weight:
                total += weight * points
                weights += weight
        return (int(math.floor(total / weights + 0.5)) if weights else 0), breakdown

    def _band_tables(self):
        """``[(factor, (factor key, agency id or None), weight, band table)]`` of the scorecard."""
        self.ensure_one()
        return [(factor, (factor.factor, factor.agency_id.id or None), factor.weight, factor._band_table())
                for factor in self.factor_ids]

    @api.model
    def _factor_values(self, partner, values, ratings, financials, date):
        """``{(factor key, agency id or None): measured value or None}`` of one customer."""
        paid = values.get("has_payments")
        limit = values.get("credit_limit") or 0.0
        established = partner.credit_established_on
        result = {
            ("days_late", None): values["avg_days_late"] if paid else None,
            ("on_time_share", None): values["on_time_share"] if paid else None,
            ("dso", None): values["dso"],
            ("overdue_limit", None): round(100.0 * values["overdue_amount"] / limit, 2) if limit > 0 else None,
            ("dunning_level", None): values["dunning_level"],
            ("disputes", None): values["disputes"],
            ("years_in_business", None): round((date - established).days / 365.25, 2) if established else None,
        }
        for key in ("revenue", "equity", "current_ratio"):
            result[(key, None)] = financials.get(partner.id, {}).get(key)
        for agency_id, score in ratings.get(partner.id, {}).items():
            result[("rating", agency_id)] = score
        return result

    @api.model
    def _financials(self, company, partners, date):
        """``{partner_id: {"revenue", "equity", "current_ratio"}}`` of the customers with
        declared figures, amounts converted to the company currency (one rate per currency)."""
        rates, result = {}, {}
        for partner in partners.filtered("credit_financials_date"):
            currency = partner.credit_financials_currency_id or company.currency_id
            if currency not in rates:
                rates[currency] = currency._get_conversion_rate(currency, company.currency_id, company, date)
            result[partner.id] = {
                "revenue": company.currency_id.round(partner.credit_revenue * rates[currency]),
                "equity": company.currency_id.round(partner.credit_equity * rates[currency]),
                "current_ratio": partner.credit_current_ratio or None,
            }
        return result

    @api.model
    def _grade_scale(self, company):
        """Active grades usable in ``company``, highest minimum score first."""
        grades = self.env["credit.grade"].sudo().search([("company_id", "in", [company.id, False])])
        return grades.sorted(lambda grade: (-grade.min_score, grade.sequence, grade.id))  # no score is 0

    @api.model
    def _suggest_grade(self, grades, score):
        """The grade with the highest minimum score at most ``score`` (of :meth:`_grade_scale`)."""
        return next((grade for grade in grades if grade.min_score <= score), grades.browse())

    @api.model
    def _insurance_caps(self, company, partners, date):
        """``{partner_id: cap in company currency}`` when the company's insurance policy caps
        limits at the cover (buyers excluded from the policy have no cap)."""
        policy = self.env["credit.insurance.policy"]._find(company, date)
        if not policy.cap_credit_limit:
            return {}
        rate = policy.currency_id._get_conversion_rate(policy.currency_id, company.currency_id, company, date)
        return {pid: amount * rate for pid, (amount, source) in policy._covers(partners, date).items()
                if source != "excluded"}

    @api.model
    def _suggest_limit(self, company, values, financials, grade, cover=None):
        """Suggested credit limit (company currency): the company's rule (a share of the last
        12 months' sales, or of the declared revenue), rounded down to a hundred, never above
        the grade's cap nor the insurance ``cover`` when the policy caps limits."""
        rule = company.credit_limit_rule
        if rule == "sales":
            base = values.get("sales_12m") or 0.0
        elif rule == "revenue":
            base = financials.get("revenue") or 0.0
        else:
            return None
        limit = max(base, 0.0) * (company.credit_limit_rule_pct or 0.0) / 100.0
        if grade.max_credit_limit:
            limit = min(limit, grade.max_credit_limit)
        if cover is not None:
            limit = min(limit, cover)
        return math.floor(company.currency_id.round(limit) / LIMIT_STEP) * LIMIT_STEP
