from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from ..models.credit_value_bounds import DATES, MAX_DAYS
from ..reports.xlsx_writer import Sheet

# The web client forwards only ``lang`` and ``*_view_ref`` context keys when it loads a view,
# so the report's column titles travel in keys with that suffix ("|"-separated text).
LABELS_KEY = "credit_aging_labels_view_ref"
GROUP_LABEL_KEY = "credit_aging_group_view_ref"
MAX_BOUNDARIES = 6  # buckets: current, one per boundary, beyond the last (see credit.aging.line)

# group-by option -> (column of the base query, model of its values)
AGING_GROUPS = {
    "customer": ("partner_id", "res.partner"),
    "grade": ("grade_id", "credit.grade"),
    "salesperson": ("user_id", "res.users"),
    "country": ("country_id", "res.country"),
    "currency": ("doc_currency_id", "res.currency"),
}


class CreditAgingWizard(models.TransientModel):
    """Receivable aging as of a date, in buckets of days overdue.

    The rows are built once by one SQL ``GROUP BY`` (:meth:`_build_rows`); the list in the ERP
    (``credit.aging.line``) and the XLSX export both show those rows. Past dates are exact:
    an open amount is the line's amount less the reconciliations dated on or before the
    as-of date, so later payments are ignored.
    """

    _name = "credit.aging.wizard"
    _inherit = ["credit.report.export", "credit.value.bounds"]
    _description = "Receivable Aging Report"

    date = fields.Date(string="As of", required=True, default=fields.Date.context_today)
    bucket_boundaries = fields.Char(
        string="Bucket Boundaries (days overdue)", required=True, default="30,60,90,120",
        help="Increasing day counts ending each bucket, e.g. 30,60,90,120 gives Current, "
        "1-30, 31-60, 61-90, 91-120 and over 120 days overdue.")
    group_by = fields.Selection(
        [("customer", "Customer"), ("grade", "Credit Grade"), ("salesperson", "Salesperson"),
         ("country", "Country"), ("currency", "Currency")],
        required=True, default="customer")
    company_ids = fields.Many2many(
        "res.company", string="Companies", required=True,
        default=lambda self: self.env.companies, domain=lambda self: [("id", "in", self.env.companies.ids)])
    include_disputed = fields.Boolean(
        default=True, help="Include invoices with an open dispute.")
    line_ids = fields.One2many("credit.aging.line", "wizard_id")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "date": DATES}

    @api.constrains("bucket_boundaries")
    def _check_bucket_boundaries(self):
        for wizard in self:
            wizard._boundaries()

    # ------------------------------------------------------------------ actions
    def action_view(self):
        """Build the rows once and show them in a list with totals."""
        self.ensure_one()
        self.line_ids.unlink()
        rows = self._build_rows()
        self.env["credit.aging.line"].create([self._line_values(row) for row in rows])
        labels = self._bucket_labels()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Aging as of %(date)s", date=self.date),
            "res_model": "credit.aging.line",
            "view_mode": "list",
            "domain": [("wizard_id", "=", self.id)],
            "context": {LABELS_KEY: "|".join(labels), GROUP_LABEL_KEY: self._group_label()},
        }

    def action_export_xlsx(self):
        self.ensure_one()
        rows = self._build_rows()
        currencies = self.env["res.currency"].browse({r["currency_id"] for r in rows}) \
            | self.company_ids.currency_id
        return self._xlsx_download(
            f"aging_{self.date}.xlsx", [self._xlsx_sheet(rows)], self._xlsx_report_parameters(),
            currencies)

    # ------------------------------------------------------------------ rows
    def _boundaries(self):
        """The bucket boundaries as increasing positive integers (bad input: clear error)."""
        self.ensure_one()
        try:
            values = [int(part) for part in (self.bucket_boundaries or "").replace(" ", "").split(",")]
        except ValueError:
            raise ValidationError(self.env._(
                "Bucket boundaries must be whole numbers of days separated by commas, "
                "e.g. 30,60,90,120 (got %(value)s).", value=self.bucket_boundaries)) from None
        if not values or values[0] < 1 or any(b <= a for a, b in pairwise(values)):
            raise ValidationError(self.env._(
                "Bucket boundaries must be positive and increasing, e.g. 30,60,90,120 (got %(value)s).",
                value=self.bucket_boundaries))
        if values[-1] > MAX_DAYS:
            raise ValidationError(self.env._(
                "Bucket boundaries must be at most %(max)s days (got %(value)s).",
                max=MAX_DAYS, value=self.bucket_boundaries))
        if len(values) > MAX_BOUNDARIES:
            raise ValidationError(self.env._(
                "At most %(max)s bucket boundaries are allowed (got %(count)s).",
                max=MAX_BOUNDARIES, count=len(values)))
        return values

    def _bucket_labels(self):
        bounds = self._boundaries()
        labels = [self.env._("Current")]
        low = 1
        for bound in bounds:
            labels.append(f"{low}-{bound}")
            low = bound + 1
        labels.append(f"> {bounds[-1]}")
        return labels

    def _group_label(self):
        return dict(self._fields["group_by"]._description_selection(self.env))[self.group_by]

    def _check_companies(self):
        # _origin: the report also runs on a new record (statements, overview, read-only requests).
        if not self.env.su and self.company_ids._origin - self.env.user.company_ids:
            raise AccessError(self.env._("You cannot report on companies you do not belong to."))

    @api.model
    def _aging_dispute_condition(self):
        """SQL condition on ``am`` (account_move) true for invoices with an open dispute
        (``credit.dispute``). Override to define "disputed" otherwise."""
        return SQL("EXISTS (SELECT 1 FROM credit_dispute d WHERE d.move_id = am.id AND d.state = 'open')")

    def _residuals_are_current(self):
        """True when no reconciliation of these companies is dated after the as-of date: the
        open amounts on that date are then the stored residuals (the usual "as of today")."""
        return not self.env.execute_query(SQL(
            "SELECT 1 FROM account_partial_reconcile WHERE max_date > %s AND company_id = ANY(%s) LIMIT 1",
            self.date, self.company_ids.ids))

    def _open_lines_query(self):
        """One row per receivable line open on the as-of date, with its grouping columns.

        Open amount = amount less the partial reconciliations whose both sides are dated on
        or before the as-of date (``max_date``), in company and in document currency. When no
        reconciliation is dated later, that is the stored residual, read from the open lines
        alone (the exposure engine's covering index) instead of rebuilt from every line.
        """
        self.ensure_one()
        self._check_companies()
        exclude_disputed = SQL("TRUE") if self.include_disputed else SQL(
            "NOT (%s)", self._aging_dispute_condition())
        if self._residuals_are_current():
            open_amounts = SQL(
                """
                aml.amount_residual AS residual, aml.amount_residual_currency AS residual_currency
                  FROM account_move_line aml
                """)
            open_condition = SQL("NOT aml.reconciled AND aml.amount_residual != 0")
        else:
            open_amounts = SQL(
                """
                aml.balance - COALESCE(r.amount, 0) AS residual,
                aml.amount_currency - COALESCE(r.amount_currency, 0) AS residual_currency
                  FROM account_move_line aml
                  LEFT JOIN (
                        SELECT line_id, SUM(amount) AS amount, SUM(amount_currency) AS amount_currency
                          FROM (SELECT debit_move_id AS line_id, amount, debit_amount_currency AS amount_currency
                                  FROM account_partial_reconcile
                                 WHERE max_date <= %(date)s AND company_id = ANY(%(companies)s)
                                UNION ALL
                                SELECT credit_move_id, -amount, -credit_amount_currency
                                  FROM account_partial_reconcile
                                 WHERE max_date <= %(date)s AND company_id = ANY(%(companies)s)) parts
                         GROUP BY line_id) r ON r.line_id = aml.id
                """, date=self.date, companies=self.company_ids.ids)
            open_condition = SQL("aml.balance - COALESCE(r.amount, 0) != 0")
        return SQL(
            """
            SELECT aml.move_id, aml.company_id, aml.currency_id AS doc_currency_id,
                   cp.id AS partner_id,
                   (cp.credit_grade_id ->> aml.company_id::text)::int AS grade_id,
                   am.invoice_user_id AS user_id, cp.country_id,
                   %(date)s - COALESCE(aml.date_maturity, aml.date) AS days,
                   %(open_amounts)s
              JOIN account_move am ON am.id = aml.move_id
              LEFT JOIN res_partner p ON p.id = aml.partner_id
              LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
             WHERE %(receivable)s
               AND aml.parent_state = 'posted'
               AND aml.date <= %(date)s AND aml.company_id = ANY(%(companies)s)
               AND %(open)s
               AND %(disputed)s
            """,
            date=self.date, companies=self.company_ids.ids, open_amounts=open_amounts,
            receivable=self.env["credit.exposure.engine"]._receivable_account_condition(),
            open=open_condition, disputed=exclude_disputed,
        )

    def _bucket_sums(self):
        """``SUM(CASE ...)`` of the open amount for each bucket of days overdue."""
        bounds = self._boundaries()
        conditions = [SQL("days <= 0")]
        low = 1
        for bound in bounds:
            conditions.append(SQL("days BETWEEN %s AND %s", low, bound))
            low = bound + 1
        conditions.append(SQL("days > %s", bounds[-1]))
        return SQL(", ").join(
            SQL("COALESCE(SUM(CASE WHEN %s THEN residual END), 0)", cond) for cond in conditions)

    def _build_rows(self):
        """The report rows: one ``GROUP BY`` over the open lines, buckets by ``CASE``.

        :return: list of dicts ``company_id, currency_id, currency, group_id, name, buckets,
            total, doc_currency, total_currency, move_count``; amounts in company currency
            (plus the document currency total when grouped by currency).
        """
        self.ensure_one()
        self.env.flush_all()
        column, model = AGING_GROUPS[self.group_by]
        query = SQL(
            """
            SELECT company_id, %(column)s, %(buckets)s, SUM(residual), SUM(residual_currency),
                   COUNT(DISTINCT move_id)
              FROM (%(lines)s) open_lines
             GROUP BY company_id, %(column)s
            """,
            column=SQL.identifier(column), buckets=self._bucket_sums(),
            lines=self._open_lines_query())
        result = self.env.execute_query(query)
        n = len(self._boundaries()) + 2
        names = self._group_names(model, {r[1] for r in result if r[1]})
        companies = self.env["res.company"].browse({r[0] for r in result})
        currency_of = {c.id: c.currency_id for c in companies}
        rows = []
        for company_id, group_id, *values in result:
            buckets, (total, total_currency, move_count) = values[:n], values[n:]
            currency = currency_of[company_id]
            rows.append({
                "company_id": company_id,
                "company": companies.browse(company_id).name,
                "currency_id": currency.id,
                "currency": currency.name,
                "group_id": group_id or False,
                "name": names.get(group_id) or self.env._("Undefined"),
                "buckets": [float(b) for b in buckets],
                "total": float(total),
                "doc_currency": (self.env["res.currency"].browse(group_id).name
                                 if self.group_by == "currency" else False),
                "total_currency": float(total_currency) if self.group_by == "currency" else False,
                "move_count": move_count,
            })
        rows.sort(key=lambda r: (r["company"], r["name"].lower()))
        return rows

    def _group_names(self, model, ids):
        records = self.env[model].sudo().with_context(active_test=False).browse(ids)
        return {record.id: record.display_name for record in records}

    def _move_ids(self, company_id, group_id):
        """Invoices (and other entries) behind one row, for the drill-down."""
        self.ensure_one()
        column, _model = AGING_GROUPS[self.group_by]
        group_condition = SQL("%s = %s", SQL.identifier(column), group_id) if group_id else \
            SQL("%s IS NULL", SQL.identifier(column))
        rows = self.env.execute_query(SQL(
            "SELECT DISTINCT move_id FROM (%s) open_lines WHERE company_id = %s AND %s",
            self._open_lines_query(), company_id, group_condition))
        return [row[0] for row in rows]

    def _line_values(self, row):
        values = {
            "wizard_id": self.id, "company_id": row["company_id"], "currency_id": row["currency_id"],
            "group_id": row["group_id"], "name": row["name"], "total": row["total"],
            "move_count": row["move_count"],
        }
        if self.group_by == "currency":
            values.update(doc_currency_id=row["group_id"], total_currency=row["total_currency"])
        values.update({f"bucket_{i}": amount for i, amount in enumerate(row["buckets"])})
        return values

    # ------------------------------------------------------------------ XLSX
    def _xlsx_sheet(self, rows):
        money = [{"key": f"bucket_{i}", "label": label, "type": "money", "width": 16, "total": True}
                 for i, label in enumerate(self._bucket_labels())]
        columns = [
            {"key": "name", "label": self._group_label(), "type": "text", "width": 36},
            {"key": "company", "label": self.env._("Company"), "type": "text", "width": 22},
            {"key": "currency", "label": self.env._("Currency"), "type": "currency", "width": 9},
            *money,
            {"key": "total", "label": self.env._("Total"), "type": "money", "width": 18, "total": True},
        ]
        if self.group_by == "currency":
            columns.append({"key": "total_currency", "label": self.env._("Total in Currency"),
                            "type": "number", "width": 18})
        columns.append({"key": "move_count", "label": self.env._("Entries"), "type": "int",
                        "width": 9, "total": True})
        flat = [{**row, **{f"bucket_{i}": a for i, a in enumerate(row["buckets"])}} for row in rows]
        return Sheet(self.env._("Aging"), columns, flat)

    def _xlsx_report_parameters(self):
        return [
            (self.env._("Report"), self.env._("Receivable aging")),
            (self.env._("Companies"), ", ".join(self.company_ids.mapped("name"))),
            (self.env._("As of"), fields.Date.to_string(self.date)),
            (self.env._("Buckets (days overdue)"), ", ".join(self._bucket_labels())),
            (self.env._("Grouped by"), self._group_label()),
            (self.env._("Disputed invoices"),
             self.env._("included") if self.include_disputed else self.env._("excluded")),
            (self.env._("Amounts"), self.env._("open amounts on the as-of date, in company currency")),
        ]
