import io
from datetime import date, datetime, time, timedelta

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .test_letter_pdf import pdf_text
from .test_statement import END, START, StatementHistory

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_rows(workbook, name):
    return [list(row) for row in workbook[name].iter_rows(values_only=True)]


def day(value):
    """An XLSX date cell as openpyxl reads it back (a datetime at midnight)."""
    return datetime.combine(value, time())


@tagged("post_install", "-at_install")
@freeze_time("2026-04-15")
class TestStatementSummary(StatementHistory):
    """A statement longer than the company's *Statement Detail Lines* (3 here): the PDF by
    month with the totals of the open items and the interest, the detail in an XLSX attached to
    the email (wizard and dunning level) and downloadable from the wizard; a statement within
    the limit is unchanged."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.credit_statement_detail_lines = 3
        cls.company.credit_late_interest_rate = 10.0
        # An entry that is neither an invoice, a credit note nor a payment: 12.34 on 20 March.
        cls.entry = cls.env["account.move"].create({
            "move_type": "entry", "date": date(2026, 3, 20), "journal_id": cls.company_data["default_journal_misc"].id,
            "line_ids": [
                Command.create({"account_id": cls.customer.property_account_receivable_id.id,
                                "partner_id": cls.customer.id, "debit": 12.34, "name": "Adjustment"}),
                Command.create({"account_id": cls.company_data["default_account_revenue"].id,
                                "credit": 12.34, "name": "Adjustment"}),
            ]})
        cls.entry.action_post()
        cls.payment = cls.invoice_b.matched_payment_ids.move_id

    def statement(self, partner=None):
        partner = partner or self.customer
        return self.env["credit.statement.engine"]._statements(partner, self.company, START, END)[partner.id]

    def render(self, partners, **context):
        wizard = self.env["credit.statement.wizard"].with_context(**context).create({
            "partner_ids": partners.ids, "date_from": START, "date_to": END})
        return wizard._render(partners)

    def test_months_add_up_to_the_cent(self):
        st = self.statement()
        self.assertTrue(st["summary"])
        self.assertEqual(st["opening"], 600.0)
        self.assertEqual(
            [(m["month"], m["label"], m["invoice"], m["refund"], m["payment"], m["entry"], m["balance"])
             for m in st["months"]],
            [(date(2026, 2, 1), "February 2026", 2500.5, 0.0, 0.0, 0.0, 3100.5),
             (date(2026, 3, 1), "March 2026", 0.0, -300.25, -1000.0, 12.34, 1812.59)])
        self.assertEqual(st["movement"], {"invoice": 2500.5, "refund": -300.25, "payment": -1000.0, "entry": 12.34})
        self.assertEqual(st["closing"], 1812.59)
        self.assertEqual(st["months"][-1]["balance"], st["closing"])
        self.assertAlmostEqual(st["opening"] + sum(st["movement"].values()), st["closing"], places=2)
        # 600.00 for 50 days and 1,500.50 for 14 days at 10 %: 8.22 and 5.76.
        self.assertEqual([(item["move"], item["interest"]) for item in st["interest_items"]],
                         [(self.invoice_a, 8.22), (self.invoice_b, 5.76)])
        self.assertEqual(st["interest_total"], 13.98)
        # Within the limit, or without one: the full statement, no months.
        self.assertFalse(self.statement(self.other)["summary"])
        self.company.credit_statement_detail_lines = 0
        self.assertEqual((self.statement()["summary"], self.statement()["months"]), (False, []))

    def test_summary_pdf_shows_months_not_documents(self):
        self.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")  # a text layer
        attachments = self.render(self.customer | self.other, force_report_rendering=True)
        pdf, xlsx = attachments[self.customer.id]
        self.assertEqual((pdf.mimetype, xlsx.mimetype), ("application/pdf", XLSX))
        self.assertEqual(xlsx.name, f"Statement detail - {self.customer.name} - 2026-03-31.xlsx")
        text = pdf_text(pdf.raw).replace("\u200b", "")  # Odoo's monetary: -\u200b300.25
        for expected in ("Opening balance", "600.00", "February 2026", "2,500.50", "3,100.50",
                         "March 2026", "-300.25", "-1,000.00", "12.34", "1,812.59", "Closing balance",
                         "13.98", "Total interest accrued"):
            self.assertIn(expected, text)
        # The open items and the interest as totals, the documents nowhere.
        self.assertIn("Open items Number Open amount 4 $ 1,812.59", text)  # heading, then the table
        self.assertIn("Total interest accrued 2 $ 13.98", text)
        for move in (self.invoice_a, self.invoice_b, self.refund, self.payment, self.entry):
            self.assertNotIn(move.name, text)
        # The other customer's statement (2 detail lines) is unchanged: the PDF alone, line by line.
        short = attachments[self.other.id]
        self.assertEqual(short.mimetype, "application/pdf")
        short_text = pdf_text(short.raw)
        self.assertIn(self.other.invoice_ids.name, short_text)
        self.assertNotIn("February 2026", short_text)

    def test_xlsx_has_every_line(self):
        xlsx = self.render(self.customer)[self.customer.id].filtered(lambda a: a.mimetype == XLSX)
        workbook = openpyxl.load_workbook(io.BytesIO(xlsx.raw), data_only=True)
        self.assertEqual(workbook.sheetnames,
                         ["Documents", "Open items", "Late-payment interest", "By month", "Parameters"])
        usd = self.company.currency_id.name
        self.assertEqual(sheet_rows(workbook, "Documents"), [
            ["Date", "Document", "Type", "Reference", "Due date", "Charges", "Credits", "Balance", "Currency"],
            [day(START), "Opening balance", None, None, None, None, None, 600.0, usd],
            [day(date(2026, 2, 15)), self.invoice_b.name, "Invoice", self.invoice_b.ref or None,
             day(date(2026, 3, 17)), 2500.5, None, 3100.5, usd],
            [day(date(2026, 3, 1)), self.refund.name, "Credit note", self.refund.ref or None, None,
             None, 300.25, 2800.25, usd],
            [day(date(2026, 3, 10)), self.payment.name, "Payment", self.payment.ref or None, None,
             None, 1000.0, 1800.25, usd],
            [day(date(2026, 3, 20)), self.entry.name, "Entry", None, None, 12.34, None, 1812.59, usd],
            [day(END), "Closing balance", None, None, None, None, None, 1812.59, usd],
            [f"Total {usd}", None, None, None, None, 2512.84, 1300.25, None, usd],
        ])
        self.assertEqual(sheet_rows(workbook, "Open items"), [
            ["Document", "Due date", "Days overdue", "Open amount", "Currency"],
            [self.invoice_a.name, day(date(2026, 2, 9)), 50, 600.0, usd],
            [self.refund.name, day(date(2026, 3, 1)), 30, -300.25, usd],
            [self.invoice_b.name, day(date(2026, 3, 17)), 14, 1500.5, usd],
            [self.entry.name, day(date(2026, 3, 20)), 11, 12.34, usd],
            [f"Total {usd}", None, None, 1812.59, usd],
        ])
        self.assertEqual(sheet_rows(workbook, "Late-payment interest"), [
            ["Document", "Due date", "Days overdue", "Open amount", "Interest", "Currency"],
            [self.invoice_a.name, day(date(2026, 2, 9)), 50, 600.0, 8.22, usd],
            [self.invoice_b.name, day(date(2026, 3, 17)), 14, 1500.5, 5.76, usd],
            [f"Total {usd}", None, None, None, 13.98, usd],
        ])
        self.assertEqual(sheet_rows(workbook, "By month"), [
            ["Month", "Invoiced", "Credit notes", "Payments", "Other", "Balance at month end", "Currency"],
            ["Opening balance", None, None, None, None, 600.0, usd],
            ["February 2026", 2500.5, 0.0, 0.0, 0.0, 3100.5, usd],
            ["March 2026", 0.0, -300.25, -1000.0, 12.34, 1812.59, usd],
            [f"Total {usd}", 2500.5, -300.25, -1000.0, 12.34, None, usd],
        ])
        self.assertIn(["Closing balance", "$ 1,812.59"],
                      [[cell.replace("\xa0", " ") for cell in row] for row in sheet_rows(workbook, "Parameters")])
        # Amounts as numbers in the currency's format.
        cell = workbook["Documents"]["F3"]
        self.assertEqual((cell.value, cell.number_format), (2500.5, f'#,##0.00 "{usd}";-#,##0.00 "{usd}"'))

    def test_chinese_customer_gets_both_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["credit_control"], ["zh_CN"], overwrite=True)
        chinese = self.make_customer("广州美达贸易有限公司", lang="zh_CN")
        february = self.make_invoice(chinese, 888.0, invoice_date=date(2026, 2, 5), due_date=date(2026, 2, 20))
        self.make_invoice(chinese, 111.0, invoice_date=date(2026, 3, 5), due_date=date(2026, 3, 20))
        attachments = self.render(chinese)[chinese.id]  # 2 documents, 2 open items, 2 interest items
        html = attachments.filtered(lambda a: a.mimetype == "text/html").raw.decode()
        for expected in ("本对账单按月汇总本期单据", "2026年2月", "2026年3月", "贷项通知单", "截至期末未结清",
                         "999.00"):
            self.assertIn(expected, html)
        self.assertNotIn(february.name, html)
        xlsx = attachments.filtered(lambda a: a.mimetype == XLSX)
        self.assertEqual(xlsx.name, "对账单明细 - 广州美达贸易有限公司 - 2026-03-31.xlsx")
        workbook = openpyxl.load_workbook(io.BytesIO(xlsx.raw), data_only=True)
        self.assertEqual(workbook.sheetnames, ["单据明细", "未结清款项", "逾期付款利息", "按月汇总", "参数"])
        documents = sheet_rows(workbook, "单据明细")
        self.assertEqual(documents[0], ["日期", "单据", "类型", "编号", "到期日", "借方", "贷方", "余额", "币种"])
        self.assertEqual(documents[2][1:3], [february.name, "发票"])
        self.assertEqual([row[0] for row in sheet_rows(workbook, "按月汇总")][1:3], ["期初余额", "2026年2月"])

    def test_wizard_downloads_the_detail(self):
        wizard = self.env["credit.statement.wizard"].create({
            "partner_ids": self.customer.ids, "date_from": START, "date_to": END})
        action = wizard.action_download_detail()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        self.assertEqual((attachment.res_model, attachment.res_id, attachment.mimetype),
                         (wizard._name, wizard.id, XLSX))
        rows = sheet_rows(openpyxl.load_workbook(io.BytesIO(attachment.raw), data_only=True), "Documents")
        self.assertEqual(rows[-2][1:], ["Closing balance", None, None, None, None, None, 1812.59,
                                        self.company.currency_id.name])
        # Print (the customer form's path: the report computes the statement itself): the summary.
        html = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.action_report_credit_statement", self.customer.ids, data=wizard._report_data())[0].decode()
        self.assertIn("February 2026", html)
        self.assertIn("1,812.59", html)
        self.assertNotIn(self.invoice_b.name, html)

    def test_emails_carry_the_xlsx(self):
        self.env["credit.statement.wizard"].create({
            "partner_ids": (self.customer | self.other).ids, "date_from": START, "date_to": END,
        }).action_send()
        mail = self.env["mail.mail"].search([("res_id", "=", self.customer.id), ("model", "=", "res.partner")])
        self.assertEqual(len(mail), 1)
        self.assertEqual(sorted(mail.attachment_ids.mapped("mimetype")), [XLSX, "text/html"])  # HTML in tests
        self.assertIn("February 2026", mail.attachment_ids.filtered(lambda a: a.mimetype == "text/html").raw.decode())
        self.assertEqual(len(self.env["mail.message"].search([
            ("model", "=", "res.partner"), ("res_id", "=", self.other.id)]).attachment_ids), 1)

    def test_dunning_level_attaches_the_xlsx(self):
        """The level option *Attach Statement of Account* on 17 February: the default period
        (1 December to 17 February) lists invoice A, its payment, invoice B and two open items,
        more than 3 lines."""
        ladder = self.env.ref("credit_control.credit_dunning_procedure_standard")
        reminder = self.env.ref("credit_control.credit_dunning_level_reminder")
        reminder.attach_statement = True
        self.company.credit_dunning_procedure_id = ladder
        run_day = self.invoice_a.invoice_date_due + timedelta(days=8)
        with freeze_time(run_day):
            self.run_dunning(run_day)
        mail = self.env["mail.mail"].search([("res_id", "=", self.customer.id), ("model", "=", "res.partner")])
        self.assertEqual(len(mail), 1)
        detail = mail.attachment_ids.filtered(lambda a: a.mimetype == XLSX)
        self.assertEqual(len(mail.attachment_ids), 2)  # the statement's PDF and its detail
        self.assertEqual(detail.name, f"Statement detail - {self.customer.name} - {run_day}.xlsx")
        rows = sheet_rows(openpyxl.load_workbook(io.BytesIO(detail.raw), data_only=True), "Documents")
        self.assertEqual([row[1] for row in rows[1:-1]], [
            "Opening balance", self.invoice_a.name, self.invoice_a.matched_payment_ids.move_id.name,
            self.invoice_b.name, "Closing balance"])
        self.assertEqual(rows[-2][7], 3100.5)
