import io
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools.pdf import PdfFileReader

from odoo.addons.credit_control.reports import pdf_batch

from .common import CreditCommon
from .test_letter_pdf import pdf_text

START, END = date(2026, 2, 1), date(2026, 3, 31)


class StatementHistory(CreditCommon):
    """A crafted receivable history around the period 2026-02-01 to 2026-03-31."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "ap@customer.example.com"
        # Before the period: invoice A 1,000.00, 400.00 paid on it -> opening balance 600.00.
        cls.invoice_a = cls.make_invoice(cls.customer, 1000.0, invoice_date=date(2026, 1, 10),
                                         due_date=date(2026, 2, 9))
        cls.pay(cls.invoice_a, 400.0, date=date(2026, 1, 20))
        # In the period: invoice B 2,500.50, a credit note of 300.25 (open), 1,000.00 paid on B.
        cls.invoice_b = cls.make_invoice(cls.customer, 2500.5, invoice_date=date(2026, 2, 15),
                                         due_date=date(2026, 3, 17))
        cls.refund = cls.make_invoice(cls.customer, 300.25, move_type="out_refund",
                                      invoice_date=date(2026, 3, 1))
        cls.pay(cls.invoice_b, 1000.0, date=date(2026, 3, 10))
        # After the period: not on the statement.
        cls.make_invoice(cls.customer, 700.0, invoice_date=date(2026, 4, 5))
        # Another customer's documents never show.
        cls.other = cls.make_customer("Other Customer")
        cls.make_invoice(cls.other, 55.0, invoice_date=date(2026, 2, 20))



@tagged("post_install", "-at_install")
class TestStatement(StatementHistory):
    """Statements of account on a crafted history: balances, documents, open items and aging
    to the cent; the PDF in the customer's language; emails queued for many customers."""

    def statement(self, partner=None, lang=None):
        engine = self.env["credit.statement.engine"].with_context(lang=lang or "en_US")
        partner = partner or self.customer
        return engine._statements(partner, self.company, START, END)[partner.id]

    def test_figures_to_the_cent(self):
        st = self.statement()
        self.assertEqual(st["opening"], 600.0)
        self.assertEqual(
            [(line["move"], line["date"], line["kind"], line["debit"], line["credit"], line["balance"])
             for line in st["lines"]],
            [(self.invoice_b, date(2026, 2, 15), "invoice", 2500.5, 0.0, 3100.5),
             (self.refund, date(2026, 3, 1), "refund", 0.0, 300.25, 2800.25),
             (self.invoice_b.matched_payment_ids.move_id, date(2026, 3, 10), "payment", 0.0, 1000.0, 1800.25)])
        self.assertEqual(st["lines"][0]["date_due"], date(2026, 3, 17))
        self.assertAlmostEqual(st["total_debit"], 2500.5, places=2)
        self.assertAlmostEqual(st["total_credit"], 1300.25, places=2)
        self.assertEqual(st["closing"], 1800.25)
        # Open on the last day: A (600.00, 50 days), B (1,500.50, 14 days), the credit note.
        self.assertEqual(
            [(item["move"], item["date_due"], item["days"], item["residual"]) for item in st["open_items"]],
            [(self.invoice_a, date(2026, 2, 9), 50, 600.0),
             (self.refund, date(2026, 3, 1), 30, -300.25),
             (self.invoice_b, date(2026, 3, 17), 14, 1500.5)])
        self.assertEqual(st["aging"], [
            ["Current", 0.0], ["1-30", 1200.25], ["31-60", 600.0], ["61-90", 0.0], ["91-120", 0.0],
            ["> 120", 0.0]])
        self.assertAlmostEqual(st["aging_total"], st["closing"], places=2)

    def test_past_period_ignores_later_payments(self):
        """A statement to the end of February: B fully open, the March payment not yet there."""
        engine = self.env["credit.statement.engine"]
        st = engine._statements(self.customer, self.company, START, date(2026, 2, 28))[self.customer.id]
        self.assertEqual(st["closing"], 3100.5)
        self.assertEqual([(item["move"], item["residual"]) for item in st["open_items"]],
                         [(self.invoice_a, 600.0), (self.invoice_b, 2500.5)])

    def test_pdf_in_customer_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["credit_control"], ["zh_CN"], overwrite=True)
        chinese = self.make_customer("广州美达贸易有限公司", lang="zh_CN")
        self.make_invoice(chinese, 888.0, invoice_date=date(2026, 3, 5), due_date=date(2026, 3, 20))
        wizard = self.env["credit.statement.wizard"].create({
            "partner_ids": (self.customer | chinese).ids, "date_from": START, "date_to": END})
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.action_report_credit_statement", (self.customer | chinese).ids,
            data=wizard._report_data())
        html = html.decode()
        self.assertIn("Statement of account", html)
        self.assertIn("1,800.25", html)
        self.assertIn("2,500.50", html)
        self.assertIn("对账单", html)
        self.assertIn("期初余额", html)
        self.assertIn("888.00", html)
        self.assertIn("未逾期", html)  # the aging label, in the customer's language

    def test_client_data_cannot_hand_statements(self):
        """Statements in a client's report data (JSON, as the report route passes it) are not
        printed: the figures are computed by the engine."""
        data = {**self.env["credit.statement.wizard"].create({
            "partner_ids": self.customer.ids, "date_from": START, "date_to": END})._report_data(),
            "statements": {str(self.customer.id): {"partner": self.customer.id, "closing": 999999.0}}}
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.action_report_credit_statement", self.customer.ids, data=data)
        html = html.decode()
        self.assertIn("1,800.25", html)  # the real closing balance
        self.assertNotIn("999,999", html)

    def test_send_many_queues_emails(self):
        mute = self.make_customer("No Email Ltd")
        self.make_invoice(mute, 42.0, invoice_date=date(2026, 3, 1))
        action = self.env["credit.statement.wizard"].with_context(
            active_model="res.partner", active_ids=(self.customer | mute).ids).create({
                "date_from": START, "date_to": END}).action_send()
        self.assertIn("1 statements queued", action["params"]["message"])
        mail = self.env["mail.mail"].search([("recipient_ids", "in", self.customer.ids)])
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(mail.subject, f"{self.company.name}: statement of account")
        self.assertEqual(len(mail.attachment_ids), 1)
        self.assertIn(b"1,800.25", mail.attachment_ids.raw)  # HTML in tests (no wkhtmltopdf)
        note = self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", mute.id),
                                                ("attachment_ids", "!=", False)])
        self.assertEqual(len(note), 1)
        self.assertIn("42.00", note.attachment_ids.raw.decode())

    def test_wizard_from_customer_form_and_rules(self):
        form = Form(self.env["credit.statement.wizard"].with_context(
            active_model="res.partner", active_ids=self.customer.ids))
        self.assertEqual(form.partner_count, 1)
        form.date_from = date(2026, 4, 1)
        form.date_to = date(2026, 3, 1)
        with self.assertRaises(ValidationError):
            form.save()
        with self.assertRaises(AccessError):
            self.env["credit.statement.wizard"].with_user(self.salesman).create({
                "partner_ids": self.customer.ids})


@tagged("post_install", "-at_install")
class TestStatementInterest(CreditCommon):
    """Late-payment interest on the statement to the cent, from the interest engine: on the
    residual after a partial payment, on an instalment paid late, in the invoice's currency,
    never after the statement's end; none on a disputed invoice; a few queries for any number
    of customers."""

    @freeze_time("2026-04-15")
    def test_interest_to_the_cent(self):
        self.company.credit_late_interest_rate = 10.0
        # P: 1,000.00 due 1 January, 400.00 paid on 1 February: 1,000 × 10 % × 31 / 365 = 8.4932
        # then 600 × 10 % × 58 / 365 = 9.5342 up to 31 March -> 18.03 (89 days, 600.00 open).
        partial = self.make_invoice(self.customer, 1000.0, invoice_date=date(2025, 12, 1), due_date=date(2026, 1, 1))
        self.pay(partial, 400.0, date=date(2026, 2, 1))
        # D: disputed, open and overdue, but no interest.
        disputed = self.make_invoice(self.customer, 2000.0, invoice_date=date(2025, 12, 15),
                                     due_date=date(2026, 1, 15))
        self.env["credit.dispute"].create({"move_id": disputed.id, "company_id": self.company.id,
                                           "amount": 2000.0})
        # L: 500.00 due 15 February, paid in full on 7 March: 20 days, 500 × 10 % × 20 / 365 = 2.74.
        late = self.make_invoice(self.customer, 500.0, invoice_date=date(2026, 1, 16), due_date=date(2026, 2, 15))
        self.pay(late, 500.0, date=date(2026, 3, 7))
        # F: 300.00 due 10 March, paid on 10 April (after the end): 21 days on 300 = 1.73, all open.
        after = self.make_invoice(self.customer, 300.0, invoice_date=date(2026, 2, 8), due_date=date(2026, 3, 10))
        self.pay(after, 300.0, date=date(2026, 4, 10))
        # E: 2,000.00 EUR (1,000.00 at 2.0) due 1 March: 30 days, 16.4384 EUR = 8.22 in company currency.
        eur = self.make_invoice(self.customer, 2000.0, currency=self.other_currency,
                                invoice_date=date(2026, 2, 1), due_date=date(2026, 3, 1))
        # N: not due yet on 31 March.
        self.make_invoice(self.customer, 800.0, invoice_date=date(2026, 3, 20), due_date=date(2026, 4, 30))
        other = self.make_customer("Interest Other")
        other_invoice = self.make_invoice(other, 365.0, invoice_date=date(2026, 2, 1), due_date=date(2026, 3, 1))

        engine = self.env["credit.statement.engine"]
        st = engine._statements(self.customer | other, self.company, START, END)
        self.assertEqual(
            [(item["move"], item["date_due"], item["days"], item["residual"], item["interest"])
             for item in st[self.customer.id]["interest_items"]],
            [(partial, date(2026, 1, 1), 89, 600.0, 18.03),
             (late, date(2026, 2, 15), 44, 0.0, 2.74),
             (eur, date(2026, 3, 1), 30, 1000.0, 8.22),
             (after, date(2026, 3, 10), 21, 300.0, 1.73)])
        self.assertEqual(st[self.customer.id]["interest_total"], 30.72)
        # Not booked: the closing balance is the receivable alone (600 + 2,000 + 300 + 1,000 + 800).
        self.assertEqual(st[self.customer.id]["closing"], 4700.0)
        # 365.00 for 30 days at 10 % = 3.00, on the other customer's statement only.
        self.assertEqual([(item["move"], item["interest"]) for item in st[other.id]["interest_items"]],
                         [(other_invoice, 3.0)])
        self.assertEqual(st[other.id]["interest_total"], 3.0)
        # The same rule as the invoice's own figure (its currency, until the end date excluded).
        instalment = partial.line_ids.filtered(lambda line: line.display_type == "payment_term")
        self.assertAlmostEqual(partial._credit_late_interest(END)[partial.id][instalment.id][1], 18.0274, places=4)

        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.action_report_credit_statement", self.customer.ids,
            data={"company_id": self.company.id, "date_from": str(START), "date_to": str(END)})
        html = html.decode()
        interest_part = html[html.index("Late-payment interest"):]
        self.assertIn("18.03", interest_part)
        self.assertIn("30.72", interest_part)
        self.assertIn(partial.name, interest_part)
        self.assertNotIn(disputed.name, interest_part)

        # The interest of the whole batch in a fixed number of queries, whatever its size (after
        # a first call that fills the caches the cache invalidation keeps: rules, references).
        self.queries(engine._late_interest, other, self.company, END)
        self.env.invalidate_all()
        _result, one = self.queries(engine._late_interest, self.customer, self.company, END)
        self.env.invalidate_all()
        _result, both = self.queries(engine._late_interest, self.customer | other, self.company, END)
        self.assertLessEqual(len(both), len(one), "\n".join(both))  # another customer: no more queries


@tagged("post_install", "-at_install")
class TestStatementPdf(StatementHistory):
    """Real statements through wkhtmltopdf: a one-page and a multi-page statement rendered in
    one call are cut at each customer's marker, each keeping exactly its own pages."""

    def test_short_and_long_statements_in_one_call(self):
        # Unreachable stylesheets: the PDF then has a text layer to read the names back.
        self.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        long_customer = self.make_customer("Long Statement Ltd", email="ap@long.example.com")
        for number in range(40):
            self.make_invoice(long_customer, 100.0 + number, invoice_date=date(2026, 2, 2 + number % 27))
        wizard = self.env["credit.statement.wizard"].with_context(force_report_rendering=True).create({
            "partner_ids": (self.customer | long_customer).ids, "date_from": START, "date_to": END})
        report = self.env["ir.actions.report"]
        run = type(report)._run_wkhtmltopdf
        with patch.object(type(report), "_run_wkhtmltopdf", autospec=True, side_effect=run) as alone_calls, \
                patch.object(pdf_batch, "_convert", wraps=pdf_batch._convert) as batch_calls:
            attachments = wizard._render(self.customer | long_customer)
        self.assertEqual((batch_calls.call_count, alone_calls.call_count), (1, 0))
        pdfs = {partner: attachments[partner.id].raw for partner in (self.customer, long_customer)}
        alone = wizard._render(long_customer)[long_customer.id].raw
        pages = {partner: len(PdfFileReader(io.BytesIO(pdf)).pages) for partner, pdf in pdfs.items()}
        self.assertEqual(pages[self.customer], 1)
        self.assertEqual(pages[long_customer], len(PdfFileReader(io.BytesIO(alone)).pages))
        self.assertGreaterEqual(pages[long_customer], 2)
        short_text, long_text = pdf_text(pdfs[self.customer]), pdf_text(pdfs[long_customer])
        self.assertIn(self.customer.name, short_text)
        self.assertIn("1,800.25", short_text)  # the crafted history's closing balance
        self.assertNotIn(long_customer.name, short_text)
        self.assertIn(long_customer.name, long_text)
        self.assertIn("139.00", long_text)  # the last invoice, on the last page
        self.assertNotIn(self.customer.name, long_text)
        self.assertEqual({attachment.mimetype for attachment in attachments.values()}, {"application/pdf"})

    def test_missing_marker_renders_alone(self):
        """Without the second customer's marker, neither range is certain: both are rendered
        again alone, and whole."""
        self.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        second = self.make_customer("Second Statement Ltd")
        self.make_invoice(second, 77.0, invoice_date=date(2026, 3, 2))
        wizard = self.env["credit.statement.wizard"].with_context(force_report_rendering=True).create({
            "partner_ids": (self.customer | second).ids, "date_from": START, "date_to": END})
        report = self.env["ir.actions.report"]
        run = type(report)._run_wkhtmltopdf
        marker = pdf_batch._marker
        with patch.object(pdf_batch, "_marker", side_effect=lambda record_id, style: marker(
                record_id if record_id != second.id else 0, style)), \
                patch.object(type(report), "_run_wkhtmltopdf", autospec=True, side_effect=run) as alone_calls, \
                patch.object(pdf_batch, "_convert", wraps=pdf_batch._convert) as batch_calls:
            attachments = wizard._render(self.customer | second)
        self.assertEqual((batch_calls.call_count, alone_calls.call_count), (1, 2))
        self.assertIn(self.customer.name, pdf_text(attachments[self.customer.id].raw))
        self.assertNotIn(second.name, pdf_text(attachments[self.customer.id].raw))
        self.assertIn("77.00", pdf_text(attachments[second.id].raw))


@tagged("post_install", "-at_install")
class TestStatementPortal(StatementHistory, HttpCase):
    """The portal statement: a portal user sees their own customer's account, never another's."""

    def test_portal_statement_own_customer_only(self):
        contact = self.env["res.partner"].create({"name": "Anna Payables", "parent_id": self.customer.id,
                                                  "email": "anna@customer.example.com"})
        new_test_user(self.env, login="portal_anna", groups="base.group_portal", partner_id=contact.id,
                      company_id=self.company.id, company_ids=[self.company.id])
        other_contact = self.env["res.partner"].create({"name": "Otto Other", "parent_id": self.other.id})
        new_test_user(self.env, login="portal_otto", groups="base.group_portal", partner_id=other_contact.id,
                      company_id=self.company.id, company_ids=[self.company.id])
        self.authenticate("portal_anna", "portal_anna")
        page = self.url_open("/my/credit_statement")
        self.assertEqual(page.status_code, 200)
        text = page.text
        self.assertIn(self.customer.name, text)
        self.assertIn(self.invoice_b.name, text)
        self.assertIn("1,500.50", text)  # invoice B still open
        self.assertNotIn(self.other.name, text)
        # The home page links to it.
        self.assertIn("/my/credit_statement", self.url_open("/my").text)
        # Another customer's portal user gets only their own account, whatever they ask for.
        self.authenticate("portal_otto", "portal_otto")
        text = self.url_open(f"/my/credit_statement?partner_id={self.customer.id}").text
        self.assertIn(self.other.name, text)
        self.assertIn("55.00", text)
        self.assertNotIn(self.customer.name, text)
        self.assertNotIn(self.invoice_b.name, text)
        # Not logged in: to the login page.
        self.authenticate(None, None)
        self.assertIn("/web/login", self.url_open("/my/credit_statement").url)
