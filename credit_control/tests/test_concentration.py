import base64
import io
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestConcentration(CreditCommon):
    """Concentration report: exposure per customer (receivable in any currency, orders not
    invoiced), shares, top-N share and HHI to the cent, by country, grade and salesperson,
    in the ERP and in XLSX; the same figures as the concentration warning."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.big = cls.make_customer("Big Buyer", grade=cls.grade_b, country_id=cls.env.ref("base.cn").id,
                                    user_id=cls.salesman.id)
        cls.euro = cls.make_customer("Euro Buyer", country_id=cls.env.ref("base.de").id)
        cls.ordering = cls.make_customer("Ordering Buyer", country_id=cls.env.ref("base.cn").id)
        cls.refunded = cls.make_customer("Refunded Buyer")
        cls.make_invoice(cls.big, 1234.56, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        # 600.00 EUR at 2 EUR per company unit: 300.00.
        cls.make_invoice(cls.euro, 600.0, currency=cls.other_currency, invoice_date=date(2026, 6, 1),
                         due_date=date(2026, 7, 1))
        cls.make_order(cls.ordering, 165.44).action_confirm()
        cls.make_invoice(cls.refunded, 50.0, move_type="out_refund", invoice_date=date(2026, 6, 1))

    def wizard(self, user=None, **values):
        env = self.env(user=user) if user else self.env
        return env["credit.concentration.wizard"].create({"company_ids": [self.company.id], "top_n": 2, **values})

    def test_figures_to_the_cent(self):
        rows, [summary] = self.wizard()._build_rows()
        self.assertEqual([(r["customer"], r["exposure"]) for r in rows],
                         [("Big Buyer", 1234.56), ("Euro Buyer", 300.0), ("Ordering Buyer", 165.44)])
        self.assertEqual([round(r["share"], 6) for r in rows], [0.726212, 0.176471, 0.097318])
        self.assertEqual(summary["exposure"], 1700.0)
        self.assertEqual(summary["customers"], 3)
        self.assertAlmostEqual(summary["top_share"], 0.902682, places=6)
        self.assertEqual(summary["hhi"], 5680.0)
        by_country = {row["value"]: row for row in self.wizard()._by_dimension(rows, "country")}
        self.assertEqual(by_country["China"]["exposure"], 1400.0)
        self.assertEqual(by_country["China"]["customers"], 2)
        self.assertEqual(by_country["Germany"]["exposure"], 300.0)
        by_salesperson = {row["value"]: row["exposure"] for row in self.wizard()._by_dimension(rows, "salesperson")}
        self.assertEqual(by_salesperson, {self.salesman.name: 1234.56, "(none)": 465.44})
        # The warning reads the same figures.
        exposures, total = self.env["credit.monitoring.engine"]._concentration(self.company, date(2026, 6, 30))
        self.assertEqual(total, 1700.0)
        self.assertEqual(exposures[self.big.id], 1234.56)

    def test_lines_and_summary_in_erp(self):
        wizard = self.wizard(user=self.credit_user)
        wizard.action_compute()
        self.assertEqual(wizard.line_ids.mapped("rank"), [1, 2, 3])
        self.assertEqual(wizard.line_ids[0].partner_id, self.big)
        self.assertEqual(wizard.line_ids[0].share, 72.62)
        self.assertIn("5,680", wizard.summary_html)
        self.assertIn("90.3%", wizard.summary_html)
        action = wizard.action_view_lines()
        self.assertEqual(self.env["credit.concentration.line"].with_user(self.credit_user).search_count(
            action["domain"]), 3)

    def test_xlsx(self):
        action = self.wizard(user=self.credit_user).action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        self.assertEqual(book.sheetnames, ["Summary", "Customers", "By Country", "By Grade", "By Salesperson",
                                           "Parameters"])
        customers = list(book["Customers"].iter_rows(values_only=True))
        self.assertEqual(customers[1][:2], (1, "Big Buyer"))
        self.assertEqual(customers[1][7], 1234.56)
        self.assertAlmostEqual(customers[1][8], 0.726212, places=6)
        summary = list(book["Summary"].iter_rows(values_only=True))
        self.assertEqual(summary[1][2:4], (3, 1700.0))
        self.assertEqual(summary[1][6], 5680.0)

    def test_other_company_refused(self):
        other = self.setup_other_company()["company"]
        self.make_invoice(self.big, 10.0, company=other)
        wizard = self.wizard(company_ids=[other.id])
        self.assertEqual(wizard._build_rows()[1][0]["exposure"], 10.0)
        # The user does not see the other company: the report is empty, or refused.
        try:
            rows, summary = wizard.with_user(self.credit_user)._build_rows()
        except AccessError:
            rows, summary = [], []
        self.assertFalse(rows or summary)
