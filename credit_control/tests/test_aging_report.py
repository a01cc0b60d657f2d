import base64
import io
from datetime import date
from unittest.mock import patch

import openpyxl
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.credit_control.reports import xlsx_writer

from .common import CreditCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestAgingReport(CreditCommon):
    """Aging as of a date: exact buckets on a crafted set, totals equal to the receivable
    account balance, past dates ignoring later payments, XLSX read back, rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Customer A, company currency: 1,000 due 15 June, 400 paid on 20 June.
        cls.buyer_a = cls.make_customer('=HYPERLINK("http://x","y")')
        inv1 = cls.make_invoice(cls.buyer_a, 1000.0, invoice_date=date(2026, 5, 16),
                                due_date=date(2026, 6, 15))
        cls.pay(inv1, 400.0, date=date(2026, 6, 20))
        # 4,000 EUR (= 2,000) not yet due.
        cls.make_invoice(cls.buyer_a, 4000.0, currency=cls.other_currency,
                         invoice_date=date(2026, 6, 20), due_date=date(2026, 7, 20))
        # 500 due 1 March, paid on 10 June: open on 31 May, paid today.
        inv3 = cls.make_invoice(cls.buyer_a, 500.0, invoice_date=date(2026, 2, 1),
                                due_date=date(2026, 3, 1))
        cls.pay(inv3, 500.0, date=date(2026, 6, 10))
        # Credit note of 300 on 25 June, not applied.
        cls.make_invoice(cls.buyer_a, 300.0, move_type="out_refund", invoice_date=date(2026, 6, 25))
        # Customer B: 1,000 EUR (= 500) due 15 April, 200 EUR (= 100) paid on 10 May.
        cls.buyer_b = cls.make_customer("Aging B")
        inv4 = cls.make_invoice(cls.buyer_b, 1000.0, currency=cls.other_currency,
                                invoice_date=date(2026, 3, 15), due_date=date(2026, 4, 15))
        cls.pay(inv4, 200.0, date=date(2026, 5, 10))
        cls.inv1, cls.inv4 = inv1, inv4

    def wizard(self, user=None, **values):
        env = self.env(user=user) if user else self.env
        return env["credit.aging.wizard"].create({"company_ids": [self.company.id], **values})

    def rows_by_name(self, wizard):
        return {row["name"]: row for row in wizard._build_rows()}

    def receivable_balance(self, as_of):
        [(balance,)] = self.env["account.move.line"]._read_group([
            ("account_id.account_type", "=", "asset_receivable"), ("parent_state", "=", "posted"),
            ("date", "<=", as_of), ("company_id", "=", self.company.id),
        ], [], ["balance:sum"])
        return balance

    def test_buckets_today(self):
        rows = self.rows_by_name(self.wizard())
        a, b = rows[self.buyer_a.name], rows["Aging B"]
        # Current, 1-30, 31-60, 61-90, 91-120, > 120
        self.assertEqual(a["buckets"], [2000.0, 300.0, 0.0, 0.0, 0.0, 0.0])
        self.assertEqual(a["total"], 2300.0)
        self.assertEqual(b["buckets"], [0.0, 0.0, 0.0, 400.0, 0.0, 0.0])
        self.assertEqual(a["currency"], self.currency.name)
        self.assertAlmostEqual(sum(r["total"] for r in rows.values()),
                               self.receivable_balance(date(2026, 6, 30)))

    def test_buckets_past_date_ignore_later_payments(self):
        rows = self.rows_by_name(self.wizard(date=date(2026, 5, 31)))
        a, b = rows[self.buyer_a.name], rows["Aging B"]
        # inv1 not yet due; inv3 91 days overdue and still open (paid on 10 June);
        # the EUR invoice and the credit note did not exist yet.
        self.assertEqual(a["buckets"], [1000.0, 0.0, 0.0, 0.0, 500.0, 0.0])
        self.assertEqual(b["buckets"], [0.0, 0.0, 400.0, 0.0, 0.0, 0.0])
        self.assertEqual(sum(r["total"] for r in rows.values()), 1900.0)
        self.assertAlmostEqual(1900.0, self.receivable_balance(date(2026, 5, 31)))

    def test_stored_residuals_used_only_when_current(self):
        """As of today the open amounts are read from the stored residuals; the rows are the
        same as the ones rebuilt from every reconciliation, in both currencies."""
        today = self.wizard(group_by="currency")
        self.assertTrue(today._residuals_are_current())
        self.assertFalse(self.wizard(date=date(2026, 6, 15))._residuals_are_current())  # paid 20 June
        rows = today._build_rows()
        with patch.object(type(today), "_residuals_are_current", return_value=False):
            rebuilt = today._build_rows()
        self.assertEqual(rows, rebuilt)
        self.assertEqual({row["doc_currency"]: row["total_currency"] for row in rows},
                         {self.currency.name: 300.0, self.other_currency.name: 4800.0})

    def test_custom_buckets_and_group_by_currency(self):
        wizard = self.wizard(bucket_boundaries="10, 75", group_by="currency")
        self.assertEqual(wizard._bucket_labels(), ["Current", "1-10", "11-75", "> 75"])
        rows = self.rows_by_name(wizard)
        eur = rows[self.other_currency.display_name]
        self.assertEqual(eur["buckets"], [2000.0, 0.0, 0.0, 400.0])
        self.assertEqual(eur["total_currency"], 4800.0)
        usd = rows[self.currency.display_name]
        self.assertEqual(usd["buckets"], [0.0, -300.0, 600.0, 0.0])

    def test_bad_buckets(self):
        for value in ("60,30", "0,30", "30,abc", "30,30", "1,2,3,4,5,6,7"):
            with self.assertRaises(ValidationError, msg=value):
                self.wizard(bucket_boundaries=value)

    def test_view_lines_and_drill_down(self):
        wizard = self.wizard()
        action = wizard.action_view()
        self.assertEqual(action["res_model"], "credit.aging.line")
        self.assertEqual(action["context"]["credit_aging_labels_view_ref"].split("|")[1], "1-30")
        lines = wizard.line_ids
        self.assertEqual(sum(lines.mapped("total")), 2700.0)
        line_b = lines.filtered(lambda line: line.name == "Aging B")
        self.assertEqual(line_b.bucket_3, 400.0)
        moves = self.env["account.move"].search(line_b.action_open_invoices()["domain"])
        self.assertIn(self.inv4, moves)
        self.assertNotIn(self.inv1, moves)
        # The list view takes the bucket titles from the action context.
        arch = self.env["credit.aging.line"].with_context(**action["context"]).get_view(
            view_type="list")["arch"]
        self.assertIn('string="91-120"', arch)

    def test_group_by_salesperson_grade_country(self):
        self.buyer_b.with_company(self.company).credit_grade_id = self.grade_b
        for group_by in ("salesperson", "grade", "country"):
            rows = self.wizard(group_by=group_by)._build_rows()
            self.assertEqual(sum(r["total"] for r in rows), 2700.0, group_by)
        rows = self.rows_by_name(self.wizard(group_by="grade"))
        self.assertEqual(rows[self.grade_b.display_name]["total"], 400.0)

    def read_xlsx(self, action):
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        return (openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas))),
                openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)), data_only=True))

    def test_xlsx(self):
        workbook, values = self.read_xlsx(self.wizard().action_export_xlsx())
        self.assertEqual(workbook.sheetnames, ["Aging", "Parameters"])
        sheet = workbook["Aging"]
        header = [cell.value for cell in sheet[1]]
        self.assertEqual(header[:4], ["Customer", "Company", "Currency", "Current"])
        self.assertIn("> 120", header)
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertTrue(sheet.auto_filter.ref)
        # The formula-looking customer name is text, not a formula.
        names = {sheet.cell(row, 1).value: row for row in range(2, sheet.max_row + 1)}
        row_a = names[self.buyer_a.name]
        self.assertEqual(sheet.cell(row_a, 1).data_type, "s")
        total_col = header.index("Total") + 1
        self.assertEqual(sheet.cell(row_a, total_col).value, 2300.0)
        self.assertIn(self.currency.name, sheet.cell(row_a, total_col).number_format)
        # Total row: a formula with its value cached.
        total_row = sheet.max_row
        self.assertEqual(sheet.cell(total_row, 1).value, f"Total {self.currency.name}")
        self.assertTrue(str(sheet.cell(total_row, total_col).value).startswith("=SUMIFS("))
        self.assertEqual(values["Aging"].cell(total_row, total_col).value, 2700.0)
        params = {row[0].value: row[1].value for row in workbook["Parameters"].iter_rows()}
        self.assertEqual(params["As of"], "2026-06-30")
        self.assertEqual(params["Companies"], self.company.name)
        self.assertIn("91-120", params["Buckets (days overdue)"])
        self.assertEqual(params["Generated by"], self.env.user.name)

    def test_xlsx_empty_and_too_many_rows(self):
        workbook, _values = self.read_xlsx(self.wizard(date=date(2025, 1, 1)).action_export_xlsx())
        self.assertEqual(workbook["Aging"].max_row, 1)
        with patch.object(xlsx_writer, "MAX_ROWS", 3), self.assertRaisesRegex(UserError, "more than"):
            self.wizard().action_export_xlsx()

    def test_multi_company_and_rights(self):
        company_2 = self.setup_other_company(name="Aging Co 2")["company"]
        self.make_invoice(self.buyer_b, 999.0, company=company_2)
        rows = self.wizard()._build_rows()
        self.assertEqual(sum(r["total"] for r in rows), 2700.0)
        both = self.wizard(company_ids=[self.company.id, company_2.id])._build_rows()
        self.assertEqual(sum(r["total"] for r in both), 2700.0 + 999.0)
        # A credit user of the first company only sees its own company.
        self.assertEqual(sum(r["total"] for r in self.wizard(user=self.credit_user)._build_rows()),
                         2700.0)
        with self.assertRaises(AccessError):
            self.wizard(user=self.credit_user, company_ids=[company_2.id])._build_rows()
        # Salespeople do not see the reports.
        with self.assertRaises(AccessError):
            self.wizard(user=self.salesman)
        menu = self.env.ref("credit_control.menu_credit_reporting")
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(self.salesman)._visible_menu_ids())
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(self.credit_user)._visible_menu_ids())

    def test_disputed_invoices_excluded_on_request(self):
        self.env["credit.dispute"].create({
            "move_id": self.inv4.id, "company_id": self.company.id, "amount": 800.0})
        self.assertEqual(sum(r["total"] for r in self.wizard()._build_rows()), 2700.0)
        rows = self.wizard(include_disputed=False)._build_rows()
        self.assertEqual(sum(r["total"] for r in rows), 2300.0)
