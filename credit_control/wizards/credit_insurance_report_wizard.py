from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..models.credit_value_bounds import DATES, shift_date
from ..reports.xlsx_writer import Sheet

TOP_N = 10


def _money_column(key, label, total=True):
    return {"key": key, "label": label, "type": "money", "width": 17, "total": total}


class CreditInsuranceReportWizard(models.TransientModel):
    """Insured exposure per policy and buyer, today.

    Exposure and overdue come from the one exposure engine (``credit.exposure.engine``),
    covers from the policy's decisions; insured exposure = min(exposure, cover) x coverage %,
    the rest is uninsured. Claims (``credit.insurance.claim``) per buyer: the indemnity still
    expected of the claims lodged with the insurer and not settled, and the indemnity received
    (see :meth:`_claims`). The rows are built once (:meth:`_build_rows`) and shown in the
    ERP (``credit.insurance.report.line`` and a summary) or exported as XLSX.
    """

    _name = "credit.insurance.report.wizard"
    _inherit = ["credit.report.export", "credit.value.bounds"]
    _description = "Insured Exposure Report"

    date = fields.Date(default=fields.Date.context_today, required=True, readonly=True,
                       help="Exposure is the live exposure; covers and deadlines as of this date.")
    policy_ids = fields.Many2many(
        "credit.insurance.policy", string="Policies", required=True,
        default=lambda self: self.env["credit.insurance.policy"].search(
            [("company_id", "in", self.env.companies.ids)]))
    line_ids = fields.One2many("credit.insurance.report.line", "wizard_id")
    summary_html = fields.Html(string="Summary", readonly=True, sanitize=False)

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "date": DATES}

    # ------------------------------------------------------------------ actions
    def action_compute(self):
        """Build the rows once: buyer lines for the list and the per-policy summary."""
        self.ensure_one()
        rows, summary = self._build_rows()
        self.line_ids.unlink()
        self.env["credit.insurance.report.line"].create(
            [dict(self._line_values(row), wizard_id=self.id) for row in rows])
        self.summary_html = self._summary_html(summary)
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
            "view_mode": "form", "target": "new", "name": self.env._("Insured Exposure"),
        }

    def action_view_lines(self):
        self.ensure_one()
        if not self.line_ids:
            self.action_compute()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Insured Exposure on %(date)s", date=self.date),
            "res_model": "credit.insurance.report.line",
            "view_mode": "list",
            "domain": [("wizard_id", "=", self.id)],
            "context": {"group_by": ["policy_id"]},
        }

    def action_export_xlsx(self):
        self.ensure_one()
        rows, summary = self._build_rows()
        return self._xlsx_download(
            f"insured_exposure_{self.date}.xlsx", self._xlsx_sheets(rows, summary),
            self._xlsx_report_parameters(), self.policy_ids.currency_id)

    # ------------------------------------------------------------------ rows
    def _build_rows(self):
        """``(buyer rows, summary rows)``; amounts in each policy's currency."""
        self.ensure_one()
        if not self.env.su and self.policy_ids.company_id - self.env.user.company_ids:
            raise AccessError(self.env._("You cannot report on companies you do not belong to."))
        rows, summary = [], []
        claims = self._claims()
        for policy in self.policy_ids:
            policy_rows = self._policy_rows(policy, claims)
            rows += policy_rows
            summary.append(self._summarize(policy, policy_rows))
        return rows, summary

    def _policy_rows(self, policy, claims):
        date = self.date
        company = policy.company_id
        partners = self._buyers(policy)
        figures = self.env["credit.exposure.engine"]._compute_figures(partners, company, date)
        covers = policy._covers(partners, date)
        late = self._late_invoices(policy, partners)
        turnover = self._turnover(policy, partners)

        def to_policy(amount):
            return company.currency_id._convert(amount, policy.currency_id, company, date)

        rows = []
        for partner in partners.sorted("name"):
            values = figures[(partner.id, company.id)]
            cover, source = covers[partner.id]
            exposure = to_policy(values["exposure"])
            claims_open, claims_received = claims.get((policy.id, partner.id), (0.0, 0.0))
            if policy.currency_id.is_zero(exposure) and source != "named" \
                    and (policy.id, partner.id) not in claims:
                continue
            insured = policy._insured_part(exposure, cover)
            late_count, late_amount = late.get(partner.id, (0, 0.0))
            rows.append({
                "policy_id": policy.id, "policy": policy.name, "company_id": company.id,
                "partner_id": partner.id, "buyer": partner.display_name,
                "currency_id": policy.currency_id.id, "currency": policy.currency_id.name,
                "exposure": exposure, "overdue": to_policy(values["overdue_amount"]),
                "oldest_overdue_days": values["oldest_overdue_days"],
                "cover": cover, "cover_source": source, "insured": insured,
                "uninsured": policy.currency_id.round(exposure - insured),
                "late_count": late_count, "late_amount": to_policy(late_amount),
                "premium": policy.currency_id.round(
                    to_policy(turnover.get(partner.id, 0.0)) * policy.premium_rate / 100.0
                    if cover > 0 else 0.0),
                "claims_open": claims_open, "claims_received": claims_received,
            })
        return rows

    def _claims(self):
        """``{(policy id, buyer id): (claims open, indemnity received)}`` in the policy's
        currency, one grouped query for all the policies and buyers. Claims open: what the
        insurer still owes on the claims lodged and not settled (filed, accepted or partly paid:
        expected indemnity less what was received). A draft claim is not counted: it is not
        lodged yet and its amounts are refreshed until it is filed; a refused one is owed
        nothing. Indemnity received: what the partly paid and paid claims received."""
        Claim = self.env["credit.insurance.claim"]
        Claim.flush_model(["policy_id", "partner_id", "state", "amount_expected", "amount_received"])
        rows = self.env.execute_query(SQL(
            """
            SELECT c.policy_id, p.commercial_partner_id,
                   COALESCE(SUM(c.amount_expected - COALESCE(c.amount_received, 0))
                            FILTER (WHERE c.state IN ('filed', 'accepted', 'partial')), 0),
                   COALESCE(SUM(c.amount_received) FILTER (WHERE c.state IN ('partial', 'paid')), 0)
              FROM credit_insurance_claim c JOIN res_partner p ON p.id = c.partner_id
             WHERE c.policy_id = ANY(%s) AND c.state IN ('filed', 'accepted', 'partial', 'paid')
             GROUP BY c.policy_id, p.commercial_partner_id
            """, self.policy_ids.ids))
        return {(policy_id, partner_id): (float(open_amount), float(received))
                for policy_id, partner_id, open_amount, received in rows}

    def _buyers(self, policy):
        """Commercial partners the policy may concern: buyers with a decision and customers."""
        partners = self.env["res.partner"].with_context(active_test=False).search_fetch(
            [("customer_rank", ">", 0)], ["commercial_partner_id"]).commercial_partner_id
        return partners | policy.limit_ids.partner_id

    def _late_invoices(self, policy, partners):
        """``{partner: (count, open amount)}`` of unpaid invoices past the notification
        deadline and not declared, in company currency."""
        groups = self.env["account.move"].sudo()._read_group([
            ("company_id", "=", policy.company_id.id), ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"), ("payment_state", "in", ("not_paid", "partial")),
            ("credit_insurance_declared_date", "=", False),
            ("invoice_date_due", "<", shift_date(self.date, days=-policy.notification_days)),
            ("commercial_partner_id", "in", partners.ids),
        ], ["commercial_partner_id"], ["__count", "amount_residual_signed:sum"])
        return {partner.id: (count, amount) for partner, count, amount in groups}

    def _turnover(self, policy, partners):
        """Invoiced turnover (untaxed, less credit notes) since the policy start, company currency."""
        groups = self.env["account.move"].sudo()._read_group([
            ("company_id", "=", policy.company_id.id), ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("invoice_date", ">=", policy.date_start), ("invoice_date", "<=", self.date),
            ("commercial_partner_id", "in", partners.ids),
        ], ["commercial_partner_id"], ["amount_untaxed_signed:sum"])
        return {partner.id: amount for partner, amount in groups}

    def _summarize(self, policy, rows):
        """Totals, top-N share of exposure and the Herfindahl-Hirschman index (0-10,000)."""
        exposures = sorted((max(r["exposure"], 0.0) for r in rows), reverse=True)
        total_positive = sum(exposures)
        shares = [e / total_positive for e in exposures] if total_positive else []
        return {
            "policy_id": policy.id, "policy": policy.name, "insurer": policy.insurer_id.display_name,
            "company": policy.company_id.name, "currency": policy.currency_id.name,
            "coverage_pct": policy.coverage_pct / 100.0, "buyers": len(rows),
            **{key: policy.currency_id.round(sum(r[key] for r in rows))
               for key in ("exposure", "overdue", "insured", "uninsured", "late_amount", "premium",
                           "claims_open", "claims_received")},
            "late_count": sum(r["late_count"] for r in rows),
            "top_share": sum(shares[:TOP_N]),
            "hhi": round(sum((share * 100) ** 2 for share in shares), 1),
        }

    def _line_values(self, row):
        keys = ("policy_id", "company_id", "partner_id", "currency_id", "exposure", "overdue",
                "oldest_overdue_days", "cover", "cover_source", "insured", "uninsured",
                "late_count", "premium", "claims_open", "claims_received")
        return {key: row[key] for key in keys}

    def _summary_html(self, summary):
        headers = [self.env._("Policy"), self.env._("Buyers"), self.env._("Exposure"),
                   self.env._("Insured"), self.env._("Uninsured"), self.env._("Premium Estimate"),
                   self.env._("Top-%(n)s Share", n=TOP_N), self.env._("HHI")]
        return self._summary_table(headers, [
            [s["policy"], s["buyers"], *(f"{s[k]:,.2f} {s['currency']}" for k in (
                "exposure", "insured", "uninsured", "premium")), f"{s['top_share']:.1%}", f"{s['hhi']:,.0f}"]
            for s in summary])

    # ------------------------------------------------------------------ XLSX
    def _xlsx_sheets(self, rows, summary):
        selection = dict(self.env["credit.insurance.report.line"]._fields["cover_source"]
                         ._description_selection(self.env))
        buyers = [dict(row, cover_basis=selection.get(row["cover_source"], "")) for row in rows]
        buyer_columns = [
            {"key": "buyer", "label": self.env._("Buyer"), "type": "text", "width": 36},
            {"key": "policy", "label": self.env._("Policy"), "type": "text", "width": 18},
            {"key": "currency", "label": self.env._("Currency"), "type": "currency", "width": 9},
            _money_column("exposure", self.env._("Exposure")),
            _money_column("overdue", self.env._("Overdue")),
            {"key": "oldest_overdue_days", "label": self.env._("Oldest Overdue (days)"),
             "type": "int", "width": 10},
            _money_column("cover", self.env._("Cover Granted"), total=False),
            {"key": "cover_basis", "label": self.env._("Cover Basis"), "type": "text", "width": 20},
            _money_column("insured", self.env._("Insured Exposure")),
            _money_column("uninsured", self.env._("Uninsured")),
            {"key": "late_count", "label": self.env._("Invoices past Notification Deadline"),
             "type": "int", "width": 12, "total": True},
            _money_column("premium", self.env._("Premium Estimate")),
            _money_column("claims_open", self.env._("Claims Open")),
            _money_column("claims_received", self.env._("Indemnity Received")),
        ]
        summary_columns = [
            {"key": "policy", "label": self.env._("Policy"), "type": "text", "width": 18},
            {"key": "insurer", "label": self.env._("Insurer"), "type": "text", "width": 28},
            {"key": "company", "label": self.env._("Company"), "type": "text", "width": 22},
            {"key": "currency", "label": self.env._("Currency"), "type": "currency", "width": 9},
            {"key": "coverage_pct", "label": self.env._("Coverage"), "type": "percent", "width": 10},
            {"key": "buyers", "label": self.env._("Buyers"), "type": "int", "width": 9, "total": True},
            _money_column("exposure", self.env._("Exposure")),
            _money_column("insured", self.env._("Insured Exposure")),
            _money_column("uninsured", self.env._("Uninsured")),
            _money_column("premium", self.env._("Premium Estimate")),
            _money_column("claims_open", self.env._("Claims Open")),
            _money_column("claims_received", self.env._("Indemnity Received")),
            {"key": "top_share", "label": self.env._("Top-%(n)s Share of Exposure", n=TOP_N),
             "type": "percent", "width": 14},
            {"key": "hhi", "label": self.env._("Concentration (HHI)"), "type": "number", "width": 14},
        ]
        return [Sheet(self.env._("Summary"), summary_columns, summary),
                Sheet(self.env._("Buyers"), buyer_columns, buyers)]

    def _xlsx_report_parameters(self):
        if not self.policy_ids:
            raise UserError(self.env._("Choose at least one insurance policy."))
        return [
            (self.env._("Report"), self.env._("Insured exposure")),
            (self.env._("Companies"), ", ".join(self.policy_ids.company_id.mapped("name"))),
            (self.env._("Policies"), ", ".join(self.policy_ids.mapped("name"))),
            (self.env._("As of"), fields.Date.to_string(self.date)),
            (self.env._("Insured exposure"),
             self.env._("min(exposure, cover) x coverage %; exposure from the credit exposure engine")),
        ]
