from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..reports.xlsx_writer import Sheet

DIMENSIONS = [("country", "Country"), ("grade", "Grade"), ("salesperson", "Salesperson")]


class CreditConcentrationWizard(models.TransientModel):
    """Concentration of the credit portfolio, today: exposure per customer (commercial
    partner, i.e. the customer group) with its share of the company's total, the top-N share
    and the Herfindahl-Hirschman index (HHI, 0-10,000), and the exposure per country, grade
    and salesperson.

    The figures are those of the concentration warning (``credit.monitoring.engine.
    _concentration``, from the exposure engine); the rows are built once and shown in the ERP
    (``credit.concentration.line``: list, pivot, graph) or exported as XLSX.
    """

    _name = "credit.concentration.wizard"
    _inherit = ["credit.report.export", "credit.value.bounds"]
    _description = "Credit Concentration Report"

    date = fields.Date(default=fields.Date.context_today, required=True, readonly=True)
    company_ids = fields.Many2many(
        "res.company", required=True, default=lambda self: self.env.company)
    top_n = fields.Integer(string="Largest Customers (N)", default=10, required=True,
                           help="The report gives the share of the N largest exposures.")
    line_ids = fields.One2many("credit.concentration.line", "wizard_id")
    summary_html = fields.Html(string="Summary", readonly=True, sanitize=False)

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "top_n": (1, 1000)}

    # ------------------------------------------------------------------ actions
    def action_compute(self):
        self.ensure_one()
        rows, summary = self._build_rows()
        self.line_ids.unlink()
        self.env["credit.concentration.line"].create([self._line_values(row) for row in rows])
        self.summary_html = self._summary_html(summary)
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "view_mode": "form", "target": "new", "name": self.env._("Credit Concentration")}

    def action_view_lines(self):
        self.ensure_one()
        if not self.line_ids:
            self.action_compute()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_concentration_line_action")
        action["domain"] = [("wizard_id", "=", self.id)]
        return action

    def action_export_xlsx(self):
        self.ensure_one()
        rows, summary = self._build_rows()
        return self._xlsx_download(f"credit_concentration_{self.date}.xlsx", self._xlsx_sheets(rows, summary),
                                   self._xlsx_report_parameters(), self.company_ids.currency_id)

    # ------------------------------------------------------------------ rows
    def _build_rows(self):
        """``(customer rows, summary per company)``, amounts in each company's currency,
        customers by decreasing exposure."""
        self.ensure_one()
        if not self.env.su and self.company_ids - self.env.user.company_ids:
            raise AccessError(self.env._("You cannot report on companies you do not belong to."))
        engine = self.env["credit.monitoring.engine"].sudo()
        rows, summary = [], []
        for company in self.company_ids:
            exposures, total = engine._concentration(company, self.date)
            partners = self.env["res.partner"].sudo().with_company(company).browse(list(exposures))
            company_rows = []
            for rank, partner in enumerate(sorted(partners, key=lambda p: (-exposures[p.id], p.name or "")), 1):
                company_rows.append({
                    "company_id": company.id, "company": company.name, "rank": rank,
                    "partner_id": partner.id, "customer": partner.display_name,
                    "country_id": partner.country_id.id, "country": partner.country_id.name or "",
                    "grade_id": partner.credit_grade_id.id, "grade": partner.credit_grade_id.display_name or "",
                    "user_id": partner.user_id.id, "salesperson": partner.user_id.name or "",
                    "currency_id": company.currency_id.id, "currency": company.currency_id.name,
                    "exposure": exposures[partner.id], "share": exposures[partner.id] / total if total else 0.0,
                })
            rows += company_rows
            summary.append(self._summarize(company, company_rows, total))
        return rows, summary

    def _summarize(self, company, rows, total):
        shares = [row["share"] for row in rows]
        return {
            "company": company.name, "currency": company.currency_id.name, "customers": len(rows),
            "exposure": total, "top_share": sum(shares[:self.top_n]), "largest_share": shares[0] if shares else 0.0,
            "hhi": round(sum((share * 100) ** 2 for share in shares), 1),
        }

    @api.model
    def _by_dimension(self, rows, key):
        """Exposure and share per value of ``key`` (country, grade, salesperson) and company."""
        groups = defaultdict(lambda: {"exposure": 0.0, "customers": 0, "share": 0.0})
        for row in rows:
            group = groups[(row["company"], row["currency"], row[key] or self.env._("(none)"))]
            group["exposure"] += row["exposure"]
            group["share"] += row["share"]
            group["customers"] += 1
        return [{"company": company, "currency": currency, "value": value, **figures}
                for (company, currency, value), figures in sorted(
                    groups.items(), key=lambda item: (item[0][0], -item[1]["exposure"]))]

    def _line_values(self, row):
        keys = ("company_id", "partner_id", "country_id", "grade_id", "user_id", "currency_id", "exposure", "rank")
        return {**{key: row[key] for key in keys}, "share": row["share"] * 100.0, "wizard_id": self.id}

    def _summary_html(self, summary):
        headers = [self.env._("Company"), self.env._("Customers"), self.env._("Total Exposure"),
                   self.env._("Largest Share"), self.env._("Top-%(n)s Share", n=self.top_n), self.env._("HHI")]
        return self._summary_table(headers, [
            [s["company"], s["customers"], f"{s['exposure']:,.2f} {s['currency']}", f"{s['largest_share']:.1%}",
             f"{s['top_share']:.1%}", f"{s['hhi']:,.0f}"]
            for s in summary])

    # ------------------------------------------------------------------ XLSX
    def _xlsx_sheets(self, rows, summary):
        money = {"type": "money", "width": 17, "total": True}
        summary_columns = [
            {"key": "company", "label": self.env._("Company"), "type": "text", "width": 24},
            {"key": "currency", "label": self.env._("Currency"), "type": "currency", "width": 9},
            {"key": "customers", "label": self.env._("Customers"), "type": "int", "width": 10},
            {"key": "exposure", "label": self.env._("Total Exposure"), **money},
            {"key": "largest_share", "label": self.env._("Largest Share"), "type": "percent", "width": 12},
            {"key": "top_share", "label": self.env._("Top-%(n)s Share", n=self.top_n), "type": "percent", "width": 12},
            {"key": "hhi", "label": self.env._("Concentration (HHI)"), "type": "number", "width": 14},
        ]
        customer_columns = [
            {"key": "rank", "label": self.env._("Rank"), "type": "int", "width": 7},
            {"key": "customer", "label": self.env._("Customer"), "type": "text", "width": 36},
            {"key": "company", "label": self.env._("Company"), "type": "text", "width": 20},
            {"key": "country", "label": self.env._("Country"), "type": "text", "width": 16},
            {"key": "grade", "label": self.env._("Grade"), "type": "text", "width": 16},
            {"key": "salesperson", "label": self.env._("Salesperson"), "type": "text", "width": 20},
            {"key": "currency", "label": self.env._("Currency"), "type": "currency", "width": 9},
            {"key": "exposure", "label": self.env._("Exposure"), **money},
            {"key": "share", "label": self.env._("Share"), "type": "percent", "width": 10},
        ]
        sheets = [Sheet(self.env._("Summary"), summary_columns, summary),
                  Sheet(self.env._("Customers"), customer_columns, rows)]
        labels = dict(self._dimension_labels())
        for key, label in labels.items():
            sheets.append(Sheet(label, [
                {"key": "company", "label": self.env._("Company"), "type": "text", "width": 20},
                {"key": "value", "label": label, "type": "text", "width": 28},
                {"key": "currency", "label": self.env._("Currency"), "type": "currency", "width": 9},
                {"key": "customers", "label": self.env._("Customers"), "type": "int", "width": 10, "total": True},
                {"key": "exposure", "label": self.env._("Exposure"), **money},
                {"key": "share", "label": self.env._("Share"), "type": "percent", "width": 10},
            ], self._by_dimension(rows, key)))
        return sheets

    def _dimension_labels(self):
        return [("country", self.env._("By Country")), ("grade", self.env._("By Grade")),
                ("salesperson", self.env._("By Salesperson"))]

    def _xlsx_report_parameters(self):
        if not self.company_ids:
            raise UserError(self.env._("Choose at least one company."))
        return [
            (self.env._("Report"), self.env._("Credit concentration")),
            (self.env._("Companies"), ", ".join(self.company_ids.mapped("name"))),
            (self.env._("As of"), fields.Date.to_string(self.date)),
            (self.env._("Top N"), str(self.top_n)),
            (self.env._("Exposure"), self.env._(
                "Receivable, draft invoices and orders not invoiced per customer, from the credit exposure "
                "engine; positive exposures only")),
            (self.env._("HHI"), self.env._("Sum of the squared shares in percent (0 to 10,000)")),
        ]
