from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import SQL, formatLang

from .credit_value_bounds import shift_date

TOP_N = 10
DSO_DAYS = 90  # sales period of the days-sales-outstanding figure
FRESH_MINUTES = 10  # an overview this recent is shown again instead of computed anew
SHARED_MINUTES = 15  # a company overview of the job this recent is copied (the job runs every 10)


class CreditOverview(models.TransientModel):
    """The Credit app's first screen: the figures of the current company, each opening its list.

    One record per visit, its figures computed (and stored) when it is created, from the engines
    the rest of the module uses (exposure figures of the controlled customers and the insured
    buyers in one query, the aging report's buckets, the blocked-quotations verdict, the
    insurance policies' covers and insured part), so the overview never disagrees with the lists
    and reports it opens. Amounts are in the company currency.

    Computing it takes about two seconds on a large ledger (20,000 customers): compute once,
    show many. A user who opens the app again within ``FRESH_MINUTES`` sees the overview already
    computed (in the same language), with the time it was computed and a *Refresh* button; and
    a job (:meth:`_cron_precompute`, every ten minutes) computes the overview of each company in
    the languages of its credit users once for all of them (``shared``), which an opening copies
    instead of computing while it is ``SHARED_MINUTES`` old at most. *Refresh* always computes.
    """

    _name = "credit.overview"
    _description = "Credit Overview"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    computed_at = fields.Datetime(string="Computed at", compute="_compute_figures", store=True)
    shared = fields.Boolean(
        readonly=True, help="Computed by the job for every credit user of the company, copied when they open the app.")
    lang = fields.Char(string="Language", default=lambda self: self._visit_lang(), readonly=True,
                       help="Language of the chart labels: an overview is shown again only in it.")
    customer_count = fields.Integer(string="Customers under Credit Control", compute="_compute_figures", store=True)
    exposure_total = fields.Monetary(string="Total Exposure", compute="_compute_figures", store=True)
    receivable_total = fields.Monetary(string="Receivable", compute="_compute_figures", store=True)
    overdue_total = fields.Monetary(string="Overdue", compute="_compute_figures", store=True)
    overdue_share = fields.Float(string="Overdue Share (%)", compute="_compute_figures", store=True)
    dso_days = fields.Float(
        string="DSO (days)", compute="_compute_figures", store=True, digits=(16, 1),
        help="Days sales outstanding: the receivable divided by the invoiced sales of the last "
        "90 days, times 90.")
    blocked_count = fields.Integer(string="Blocked Quotations", compute="_compute_figures", store=True)
    release_pending_count = fields.Integer(string="Pending Releases", compute="_compute_figures", store=True)
    review_due_count = fields.Integer(string="Reviews Due", compute="_compute_figures", store=True)
    hold_count = fields.Integer(string="On Credit Hold", compute="_compute_figures", store=True)
    warning_open_count = fields.Integer(string="Open Warnings", compute="_compute_figures", store=True)
    warning_new_count = fields.Integer(string="New Warnings", compute="_compute_figures", store=True)
    insured_total = fields.Monetary(string="Insured Exposure", compute="_compute_figures", store=True)
    insured_share = fields.Float(string="Insured Share (%)", compute="_compute_figures", store=True)
    aging_chart = fields.Html(string="Aging", compute="_compute_figures", store=True, sanitize=False)
    top_exposure_chart = fields.Html(string="Top 10 Exposure", compute="_compute_figures", store=True, sanitize=False)
    dunning_chart = fields.Html(string="Dunning Pipeline", compute="_compute_figures", store=True, sanitize=False)

    @api.depends("company_id")
    def _compute_display_name(self):
        for overview in self:
            overview.display_name = self.env._("Credit Overview")

    @api.depends("company_id")
    def _compute_figures(self):
        for overview in self:
            if values := overview._shared_figures():
                overview.update(values)
                continue
            # In the language of the visit, even when recomputed by an upgrade or a job.
            values = overview.with_context(lang=overview.lang or self._visit_lang())._figures()
            overview.update(dict(values, computed_at=fields.Datetime.now()))

    @api.model
    def _visit_lang(self):
        """The language of this visit: the session's, else the user's."""
        return self.env.lang or self.env.user.lang or "en_US"

    def _shared_figures(self):
        """The figures of the job's overview of this company in this language computed in the
        last ``SHARED_MINUTES``, for a user's opening (not for the job's own overview, nor for
        *Refresh*); an empty dict when there is none. Only an overview created by the job's
        superuser is copied: a user may create one marked ``shared`` over RPC, with figures of
        their own making, but never as another user. Read in SQL: in the middle of this
        record's computation, the ORM would flush it first."""
        if self.shared or self.env.context.get("credit_overview_recompute"):
            return {}
        names = [name for name, field in self._fields.items() if field.compute == "_compute_figures"]
        rows = self.env.execute_query_dict(SQL(
            """SELECT %s FROM credit_overview
                WHERE shared AND create_uid = %s AND company_id = %s AND lang = %s AND computed_at >= %s
                ORDER BY computed_at DESC, id DESC LIMIT 1""",
            SQL(", ").join(SQL.identifier(name) for name in names), SUPERUSER_ID, self.company_id.id,
            self.lang or self._visit_lang(), fields.Datetime.now() - timedelta(minutes=SHARED_MINUTES)))
        return rows[0] if rows else {}

    @api.model_create_multi
    def create(self, vals_list):
        """Computed when created (``computed_at`` is the time of the figures), not when first read."""
        overviews = super().create(vals_list)
        overviews.flush_recordset()
        return overviews

    # ------------------------------------------------------------------ actions
    @api.model
    def action_open(self):
        """The overview of the current company (the Credit app's root menu): the user's own
        one of the last ``FRESH_MINUTES``, else a new one."""
        overview = self.search([
            ("company_id", "=", self.env.company.id), ("create_uid", "=", self.env.uid),
            ("lang", "=", self._visit_lang()), ("shared", "=", False),
            ("computed_at", ">=", fields.Datetime.now() - timedelta(minutes=FRESH_MINUTES)),
        ], order="computed_at desc, id desc", limit=1)
        return (overview or self.create({}))._action_show()

    def action_refresh(self):
        """The figures computed anew, now."""
        self.ensure_one()
        return self.with_context(credit_overview_recompute=True).create(
            {"company_id": self.company_id.id})._action_show()

    def _action_show(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit Overview"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
            "context": {"form_view_initial_mode": "readonly"},
        }

    @api.model
    def _cron_precompute(self):
        """Every ten minutes: the overview of each company in each language of its credit users,
        computed once (``shared``) for all of them to copy when they open the app; committed
        one overview at a time. The figures are the company's, as a credit user sees them: the
        module's lists are limited by company only."""
        users = self.env.ref("credit_control.group_credit_user").all_user_ids.filtered("active")
        pairs = sorted({(company, user.lang or "en_US") for user in users for company in user.company_ids},
                       key=lambda pair: (pair[0].id, pair[1]))
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(pairs))
        for company, lang in pairs:
            self.with_user(SUPERUSER_ID).with_company(company).with_context(
                lang=lang, allowed_company_ids=company.ids).create(
                {"company_id": company.id, "lang": lang, "shared": True})
            if not cron._commit_progress(1):
                break

    def _open_xml_action(self, xmlid, **values):
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action.update(values)
        return action

    def action_open_customers(self):
        return self._open_xml_action("credit_control.res_partner_action_credit")

    def action_open_overdue(self):
        return self._open_xml_action(
            "account.action_move_out_invoice_type", name=self.env._("Overdue Invoices"),
            domain=[("move_type", "=", "out_invoice"), ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<", fields.Date.context_today(self)),
                    ("company_id", "=", self.company_id.id)],
            context={"create": False})

    def action_open_aging(self):
        return self.env["credit.aging.wizard"].create({"company_ids": self.company_id.ids}).action_view()

    def action_open_blocked(self):
        return self._open_xml_action("credit_control.sale_order_action_credit_blocked")

    def action_open_releases(self):
        return self._open_xml_action(
            "credit_control.credit_release_request_action",
            domain=[("state", "=", "pending"), ("company_id", "=", self.company_id.id)])

    def action_open_reviews(self):
        return self._open_xml_action(
            "credit_control.res_partner_action_credit",
            context={"search_default_credit_review_due": 1, "res_partner_search_mode": "customer"})

    def action_open_holds(self):
        return self._open_xml_action(
            "credit_control.res_partner_action_credit",
            context={"search_default_credit_on_hold": 1, "res_partner_search_mode": "customer"})

    def action_open_warnings(self):
        return self._open_xml_action(
            "credit_control.credit_warning_action",
            domain=[("state", "!=", "closed"), ("company_id", "=", self.company_id.id)])

    def action_open_insurance(self):
        return self._open_xml_action("credit_control.credit_insurance_report_wizard_action")

    def action_open_dunning(self):
        return self._open_xml_action("credit_control.credit_dunning_event_action")

    # ------------------------------------------------------------------ figures
    def _figures(self):
        """The values of every figure of the overview of ``self.company_id``."""
        self.ensure_one()
        company = self.company_id
        currency = company.currency_id
        today = fields.Date.context_today(self)
        Partner = self.env["res.partner"].with_company(company)
        customers = Partner.search(
            ["|", "|", ("credit_limit", ">", 0), ("credit_grade_id", "!=", False), ("credit_hold", "=", True)])
        policies = self.env["credit.insurance.policy"].search([("company_id", "=", company.id)])
        report = self.env["credit.insurance.report.wizard"]
        buyers = {policy: report._buyers(policy) for policy in policies}
        # One computation of the exposure engine for the figures and the insured share.
        figures = self.env["credit.exposure.engine"]._compute_figures(
            customers.commercial_partner_id.union(*buyers.values()), company, today)
        controlled = set(customers.commercial_partner_id.ids)
        rows = [(customers.browse(pid), values) for (pid, _cid), values in figures.items() if pid in controlled]
        exposure = currency.round(sum(values["exposure"] for _partner, values in rows))
        receivable = self._receivable_total(company)
        overdue = currency.round(sum(values["overdue_amount"] for _partner, values in rows))
        sales = self._sales_total(company, shift_date(today, -DSO_DAYS), today)
        insured = self._insured_total(company, today, buyers, figures)
        top = sorted(rows, key=lambda row: row[1]["exposure"], reverse=True)[:TOP_N]
        warnings = dict(self.env["credit.warning"]._read_group(
            [("state", "!=", "closed"), ("company_id", "=", company.id)], ["state"], ["__count"]))
        return {
            "customer_count": len(customers),
            "exposure_total": exposure,
            "receivable_total": receivable,
            "overdue_total": overdue,
            "overdue_share": 100.0 * overdue / receivable if receivable > 0 else 0.0,
            "dso_days": DSO_DAYS * receivable / sales if sales > 0 else 0.0,
            "blocked_count": len(self.env["sale.order"]._credit_blocked_quotations(company)),
            "release_pending_count": self.env["credit.release.request"].search_count(
                [("state", "=", "pending"), ("company_id", "=", company.id)]),
            "review_due_count": Partner.search_count(
                [("id", "in", customers.ids), ("credit_review_date", "<=", today)]),
            "hold_count": Partner.search_count([("credit_hold", "=", True)]),
            "warning_open_count": sum(warnings.values()),
            "warning_new_count": warnings.get("new", 0),
            "insured_total": insured,
            "insured_share": 100.0 * insured / exposure if exposure > 0 else 0.0,
            "aging_chart": self._bars(self._aging_buckets(company, today), currency),
            "top_exposure_chart": self._bars(
                [(partner.display_name, values["exposure"]) for partner, values in top if values["exposure"] > 0],
                currency),
            "dunning_chart": self._bars(self._dunning_pipeline(company, today), None),
        }

    def _receivable_total(self, company):
        """Open receivable of every customer of the company (controlled or not)."""
        receivable = self.env["credit.exposure.engine"]._receivable_account_condition()
        [(total,)] = self.env.execute_query(SQL(
            """
            SELECT COALESCE(SUM(aml.amount_residual), 0) FROM account_move_line aml
             WHERE %s AND aml.parent_state = 'posted' AND aml.company_id = %s AND NOT aml.reconciled
            """, receivable, company.id))
        return company.currency_id.round(total)

    def _sales_total(self, company, date_from, date_to):
        """Invoiced sales (less credit notes) of the period, in company currency."""
        [(total,)] = self.env.execute_query(SQL(
            """
            SELECT COALESCE(SUM(amount_total_signed), 0) FROM account_move
             WHERE move_type IN ('out_invoice', 'out_refund') AND state = 'posted'
               AND company_id = %s AND invoice_date BETWEEN %s AND %s
            """, company.id, date_from, date_to))
        return total

    def _aging_buckets(self, company, date):
        """``[(label, amount)]`` of the aging report's buckets, all customers of the company."""
        wizard = self.env["credit.aging.wizard"].new(
            {"company_ids": company.ids, "date": date, "group_by": "currency"})
        rows = wizard._build_rows()
        labels = wizard._bucket_labels()
        return [(label, sum(row["buckets"][i] for row in rows)) for i, label in enumerate(labels)]

    def _insured_total(self, company, date, buyers, figures):
        """Insured exposure of the company's policies, in company currency: the total of the
        insured-exposure report (the policy's insured part of each buyer's exposure within its
        cover), from the exposure ``figures`` already computed for the policies' ``buyers``
        (``{policy: partners}``) instead of the whole report. Only buyers with a positive
        exposure have an insured part, so only their covers are looked up."""
        total = 0.0
        for policy, partners in buyers.items():
            # res.currency._convert's rate and rounding, the rate looked up once.
            rate = company.currency_id._get_conversion_rate(company.currency_id, policy.currency_id, company, date)
            exposed = {pid: policy.currency_id.round(figures[(pid, company.id)]["exposure"] * rate)
                       for pid in partners.ids if figures[(pid, company.id)]["exposure"] > 0}
            covers = policy._covers(partners.browse(list(exposed)), date)
            insured = policy.currency_id.round(sum(
                policy._insured_part(exposure, covers[pid][0]) for pid, exposure in exposed.items()))
            total += policy.currency_id._convert(insured, company.currency_id, company, date)
        return company.currency_id.round(total)

    def _dunning_pipeline(self, company, date):
        """``[(level, customers)]``: customers reached by each dunning level in the last 90 days."""
        groups = self.env["credit.dunning.event"]._read_group(
            [("company_id", "=", company.id), ("date", ">=", shift_date(date, -90)),
             ("state", "!=", "failed")],
            ["level_id"], ["partner_id:count_distinct"])
        groups.sort(key=lambda group: (group[0].days_overdue, group[0].id))
        return [(level.display_name, count) for level, count in groups]

    def _bars(self, items, currency):
        """``items`` (``(label, value)``) as horizontal bars: an HTML chart the form shows
        without any JavaScript. ``currency``: format values as money, else as counts."""
        top = max((abs(value) for _label, value in items), default=0) or 1
        rows = [{
            "label": label,
            "width": round(100.0 * abs(value) / top, 1),
            "value": formatLang(self.env, value, currency_obj=currency) if currency else str(value),
        } for label, value in items]
        return self.env["ir.qweb"]._render("credit_control.credit_overview_bars", {"rows": rows})
