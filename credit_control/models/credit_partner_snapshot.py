import json

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, formatLang, split_every

# Snapshot columns written by the job, with their SQL types (see CreditPartnerSnapshot._write_rows).
SNAPSHOT_COLUMNS = {
    "receivable": "numeric", "draft_invoices": "numeric", "uninvoiced_orders": "numeric",
    "exposure": "numeric", "credit_limit": "numeric", "overdue_amount": "numeric",
    "oldest_overdue_days": "integer", "avg_days_to_pay": "numeric", "avg_days_late": "numeric",
    "on_time_share": "numeric", "dso": "numeric", "invoices_paid_count": "integer",
    "highest_exposure": "numeric", "dunning_steps": "integer", "dunning_level": "integer",
    "disputes": "integer", "sales_12m": "numeric", "grade_id": "integer", "score": "integer",
    "score_breakdown": "jsonb", "suggested_grade_id": "integer", "suggested_limit": "numeric",
}


class CreditPartnerSnapshot(models.Model):
    """One customer's credit figures on one day in one company: the history behind trends,
    worklists and the scorecard.

    Written only by :meth:`_snapshot` (the daily job), one set-based statement per batch of
    customers, idempotent per day: a second run on the same day updates that day's row. Rows
    older than the company's retention are pruned by the job. Users only read snapshots.

    Public interface: :meth:`_compute_rows` (the figures, score, breakdown and suggestions of
    customers now, without writing: what a credit review freezes), :meth:`_snapshot` (write
    the day's rows, e.g. *Score Now*), and the stored rows themselves (``score_breakdown`` as
    JSON ``[{factor, agency, value, points, weight}]``, ``score_breakdown_html`` to show it).
    """

    _name = "credit.partner.snapshot"
    _description = "Customer Credit Snapshot"
    _order = "date desc, id desc"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True,
                                 index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    date = fields.Date(required=True, readonly=True, index=True)
    receivable = fields.Monetary(readonly=True, aggregator="sum")
    draft_invoices = fields.Monetary(readonly=True, aggregator="sum")
    uninvoiced_orders = fields.Monetary(string="Orders not Invoiced", readonly=True, aggregator="sum")
    exposure = fields.Monetary(readonly=True, aggregator="sum")
    credit_limit = fields.Monetary(readonly=True, aggregator="sum")
    overdue_amount = fields.Monetary(string="Overdue", readonly=True, aggregator="sum")
    oldest_overdue_days = fields.Integer(string="Oldest Overdue (days)", readonly=True, aggregator="max")
    avg_days_to_pay = fields.Float(string="Average Days to Pay", readonly=True, aggregator="avg")
    avg_days_late = fields.Float(string="Average Days Late", readonly=True, aggregator="avg")
    on_time_share = fields.Float(string="Paid on Time (%)", readonly=True, aggregator="avg")
    dso = fields.Float(string="DSO (days)", readonly=True, aggregator="avg")
    invoices_paid_count = fields.Integer(string="Invoices Paid (12 months)", readonly=True)
    highest_exposure = fields.Monetary(string="Highest Exposure (12 months)", readonly=True, aggregator="max")
    dunning_steps = fields.Integer(string="Dunning Steps (12 months)", readonly=True)
    dunning_level = fields.Integer(string="Dunning Level Reached", readonly=True, aggregator="max")
    disputes = fields.Integer(string="Disputes (12 months)", readonly=True)
    sales_12m = fields.Monetary(string="Sales (12 months)", readonly=True, aggregator="sum")
    grade_id = fields.Many2one("credit.grade", readonly=True, ondelete="set null")
    score = fields.Integer(readonly=True, aggregator="avg")
    score_breakdown = fields.Json(string="Score Breakdown Data", readonly=True)
    score_breakdown_html = fields.Html(string="Score Breakdown", compute="_compute_score_breakdown_html",
                                       sanitize=False)
    suggested_grade_id = fields.Many2one("credit.grade", readonly=True, ondelete="set null")
    suggested_limit = fields.Monetary(readonly=True)

    _partner_company_date_uniq = models.Constraint(
        "UNIQUE (partner_id, company_id, date)", "A customer has one credit snapshot per company and day.")

    @api.depends("score_breakdown")
    def _compute_score_breakdown_html(self):
        """The breakdown as a table in the user's language: factor, measured value, points, weight."""
        QWeb = self.env["ir.qweb"]
        labels = dict(self.env["credit.scorecard.factor"]._fields["factor"]._description_selection(self.env))
        for snapshot in self:
            rows = [{
                "label": f"{labels.get(row['factor'], row['factor'])} ({row['agency']})" if row.get("agency")
                else labels.get(row["factor"], row["factor"]),
                "value": self.env._("n/a") if row["value"] is None else formatLang(self.env, row["value"]),
                "points": self.env._("n/a") if row["points"] is None else row["points"],
                "weight": formatLang(self.env, row["weight"], digits=0),
            } for row in snapshot.score_breakdown or []]
            snapshot.score_breakdown_html = QWeb._render(
                "credit_control.credit_score_breakdown_table", {"rows": rows}) if rows else False

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(self.env._("Credit snapshots are written by the daily job only."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            raise UserError(self.env._("Credit snapshots are a record of past figures: they cannot be changed."))
        return super().write(vals)

    # ------------------------------------------------------------------ job
    @api.model
    def _cron_snapshot(self, commit=True):
        """Daily: today's snapshot of every customer of every company, then the pruning of
        rows past the retention. Committed after each batch (``ir.cron`` progress); a run cut by
        its time slice resumes with the customers still without today's row. The demo data
        runs it without ``commit``."""
        today = fields.Date.context_today(self)
        # pylint: disable-next=no-search-all  # every company: a handful of rows
        if self._snapshot(self.env["res.company"].search([]), date=today, resume=True, commit=commit):
            self._prune()

    @api.model
    def _snapshot(self, companies, date=None, partners=None, resume=False, commit=False, batch_size=2000):
        """Write the snapshot of ``date`` (default today) of ``partners`` (default: every
        customer, see :meth:`_customer_ids`) in ``companies``.

        Per batch of customers: the exposure figures (one statement of the exposure engine),
        the behaviour figures (one statement per family), the scores, then one
        ``INSERT ... ON CONFLICT DO UPDATE`` of the rows and one ``UPDATE`` of the customers'
        last-snapshot fields. ``resume`` skips customers that already have the day's row;
        ``commit`` commits each batch through ``ir.cron._commit_progress``.

        :return: False if the cron's time slice ran out (``commit`` only), else True
        """
        self = self.sudo()
        date = date or fields.Date.context_today(self)
        cron = self.env["ir.cron"]
        for company in companies:
            customer_ids = self._customer_ids(company, date, partners, resume)
            if commit:
                cron._commit_progress(remaining=len(customer_ids))
            for batch in split_every(batch_size, customer_ids, list):
                self._snapshot_batch(company, date, self.env["res.partner"].browse(batch))
                if commit and not cron._commit_progress(len(batch)):
                    return False
        return True

    @api.model
    def _customer_ids(self, company, date, partners=None, resume=False):
        """Ids of the commercial partners snapshotted in ``company``: customers (invoiced once)
        and every partner with a grade or a limit there; only ``partners`` if given."""
        cid = str(company.id)
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """
            SELECT p.id FROM res_partner p
             WHERE p.active AND p.id = p.commercial_partner_id
               AND (p.company_id IS NULL OR p.company_id = %(company)s)
               AND (p.customer_rank > 0 OR p.credit_grade_id->>%(cid)s IS NOT NULL
                    OR COALESCE((p.credit_limit->>%(cid)s)::float, 0) > 0)
               AND (%(all)s OR p.id = ANY(%(partners)s))
               AND (NOT %(resume)s OR NOT EXISTS (
                    SELECT 1 FROM credit_partner_snapshot s
                     WHERE s.partner_id = p.id AND s.company_id = %(company)s AND s.date = %(date)s))
             ORDER BY p.id
            """, company=company.id, cid=cid, all=partners is None,
            partners=partners.commercial_partner_id.ids if partners is not None else [],
            resume=resume, date=date))
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _snapshot_batch(self, company, date, partners):
        """Compute and write the snapshot rows of ``partners`` (commercial partners) in ``company``."""
        self._write_rows(company, date, partners.ids, self._compute_rows(company, date, partners))

    @api.model
    def _compute_rows(self, company, date, partners):
        """Everything a snapshot holds for ``partners`` (commercial partners) in ``company`` on
        ``date``, without writing it: one dict per partner (same order) with the exposure
        engine's figures, the behaviour engine's figures, ``grade_id`` and the scorecard's
        ``score``, ``score_breakdown``, ``suggested_grade_id`` and ``suggested_limit``.
        What a credit review freezes at its creation."""
        self = self.sudo()
        figures = self.env["credit.exposure.engine"]._compute_figures(partners, company, date=date)
        behaviour = self.env["credit.behaviour.engine"]._compute_behaviour(partners, company, date=date)
        grades = {partner.id: partner.credit_grade_id.id for partner in partners.with_company(company)}
        rows = []
        for partner in partners:
            key = (partner.id, company.id)
            values = {**behaviour[key], **figures[key]}
            # today's exposure counts towards the highest of the 12 months
            values["highest_exposure"] = max(values["highest_exposure"], values["exposure"])
            values["grade_id"] = grades[partner.id] or None
            rows.append(values)
        scores = self.env["credit.scorecard"]._score_customers(company, partners, rows, date)
        for partner, values in zip(partners, rows, strict=True):
            values.update(scores.get(partner.id, {}))
        return rows

    @api.model
    def _write_rows(self, company, date, partner_ids, rows):
        """One upsert of the day's rows, then one update of the customers' last-snapshot fields."""
        columns = list(SNAPSHOT_COLUMNS)
        payload = json.dumps([
            {"partner_id": pid, **{col: row.get(col) for col in columns}}
            for pid, row in zip(partner_ids, rows, strict=True)], default=str)
        record_type = SQL(", ").join(
            SQL("%s %s", SQL.identifier(col), SQL(sql_type))
            for col, sql_type in [("partner_id", "integer"), *SNAPSHOT_COLUMNS.items()])
        self.env.cr.execute(SQL(
            """
            INSERT INTO credit_partner_snapshot
                   (partner_id, company_id, date, %(cols)s, create_uid, create_date, write_uid, write_date)
            SELECT r.partner_id, %(company)s, %(date)s, %(r_cols)s,
                   %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM jsonb_to_recordset(%(payload)s::jsonb) AS r(%(record_type)s)
            ON CONFLICT (partner_id, company_id, date) DO UPDATE SET %(updates)s,
                   write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
            """,
            cols=SQL(", ").join(SQL.identifier(col) for col in columns),
            r_cols=SQL(", ").join(SQL.identifier("r", col) for col in columns),
            updates=SQL(", ").join(SQL("%s = EXCLUDED.%s", SQL.identifier(col), SQL.identifier(col))
                                   for col in columns),
            company=company.id, date=date, uid=self.env.uid, payload=payload, record_type=record_type))
        self.env["res.partner"]._credit_update_last_snapshot(company, date, partner_ids)
        self.invalidate_model()

    @api.model
    def _prune(self):
        """Delete the snapshots older than each company's retention (months), one statement."""
        self.env.cr.execute(SQL(
            """
            DELETE FROM credit_partner_snapshot s USING res_company c
             WHERE c.id = s.company_id AND c.credit_snapshot_retention_months > 0
               AND s.date < (%(today)s::date - make_interval(months => c.credit_snapshot_retention_months))
            """, today=fields.Date.context_today(self)))
        self.invalidate_model()
