import io
import logging
import time
from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError
from psycopg2 import errors as pg_errors

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.pdf import PdfFileReader

from odoo.addons.credit_control.models import credit_statement_engine
from odoo.addons.credit_control.models.credit_dunning_engine import CreditDunningEngine
from odoo.addons.credit_control.reports import pdf_batch
from odoo.addons.credit_control.reports.pdf_batch import MARKER_URL, render_per_record

from .common import CreditCommon

_logger = logging.getLogger(__name__)

DUE = date(2026, 1, 1)


@tagged("post_install", "-at_install")
class TestDunning(CreditCommon):
    """The dunning engine over the standard 7/30/60/90-day ladder: what is sent when, to whom,
    never twice, and what is left out."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ladder = cls.env.ref("credit_control.credit_dunning_procedure_standard")
        cls.reminder, cls.call, cls.demand, cls.legal = (
            cls.env.ref(f"credit_control.credit_dunning_level_{x}") for x in ("reminder", "call", "demand", "legal"))
        cls.company.credit_dunning_procedure_id = cls.ladder
        cls.account_manager = cls.make_user("cc_account_manager", "sales_team.group_sale_salesman")
        cls.customer.write({"email": "ap@customer.example.com", "user_id": cls.account_manager.id})

    def invoice(self, partner, amount, due=DUE, **kwargs):
        return self.make_invoice(partner, amount, invoice_date=due - timedelta(days=30), due_date=due, **kwargs)

    def mails(self, partner):
        return self.env["mail.mail"].search([("recipient_ids", "in", partner.ids)], order="id")

    def test_ladder_walk_over_100_days(self):
        invoice = self.invoice(self.customer, 1000.0)
        day, seen = DUE, []
        while day <= DUE + timedelta(days=100):
            with freeze_time(day):
                seen += [(event.date, event.level_id) for event in self.run_dunning(day)]
            day += timedelta(days=1)
        self.assertEqual(seen, [
            (date(2026, 1, 8), self.reminder), (date(2026, 1, 31), self.call),
            (date(2026, 3, 2), self.demand), (date(2026, 4, 1), self.legal)])
        events = self.dunning_events(self.customer)
        self.assertEqual(events.mapped("state"), ["done"] * 4)
        self.assertEqual(events.mapped("channel"), ["email", "activity", "letter", "legal"])
        self.assertEqual(events.mapped("amount_total"), [1000.0] * 4)
        self.assertEqual(events.line_ids.move_id, invoice)
        # 7 days: a reminder email; 60: the demand with its letter; 90: the hand-over notice.
        mails = self.mails(self.customer)
        self.assertEqual(len(mails), 3)
        self.assertEqual(mails.mapped("state"), ["outgoing"] * 3)
        self.assertIn("payment reminder", mails[0].subject)
        self.assertIn(invoice.name, mails[0].body_html)
        self.assertIn("formal demand", mails[1].subject)
        self.assertEqual(mails[1].attachment_ids, events[2].letter_attachment_id)
        self.assertFalse(mails[0].attachment_ids)
        # 30 days: a call for the account manager; 90: a hand-over for each credit manager.
        activities = self.customer.activity_ids
        call = activities.filtered(lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(call.user_id, self.account_manager)
        self.assertEqual(call.date_deadline, date(2026, 1, 31))
        legal = activities.filtered(
            lambda a: a.activity_type_id == self.env.ref("credit_control.mail_activity_credit_legal"))
        self.assertIn(self.credit_manager, legal.user_id)
        self.assertIn(self.credit_manager_2, legal.user_id)
        # Hold at 90 days, audited, and the customer is in collection.
        self.assertTrue(self.customer.credit_hold)
        self.assertIn("90 days", self.customer.credit_hold_reason)
        self.assertTrue(self.customer.credit_in_collection)
        self.assertTrue(self.env["credit.audit.log"].search([
            ("partner_id", "=", self.customer.id), ("event_type", "=", "hold"), ("new_value", "=", "True")]))
        # The invoice shows where it stands.
        with freeze_time(date(2026, 4, 11)):
            invoice.invalidate_recordset()
            self.assertEqual(invoice.credit_dunning_level_id, self.legal)
            self.assertEqual(invoice.credit_dunning_date, date(2026, 4, 1))
            self.assertFalse(invoice.credit_dunning_next_level_id)
            self.assertEqual(invoice.credit_days_overdue, 100)
            self.assertEqual(invoice.credit_dunning_event_count, 4)

    def test_invoice_shows_next_level(self):
        invoice = self.invoice(self.customer, 500.0)
        self.run_dunning(DUE + timedelta(days=10))
        with freeze_time(DUE + timedelta(days=10)):
            self.assertEqual(invoice.credit_dunning_level_id, self.reminder)
            self.assertEqual(invoice.credit_dunning_next_level_id, self.call)
            self.assertEqual(invoice.credit_dunning_next_date, DUE + timedelta(days=30))
            self.assertEqual(invoice.credit_days_overdue, 10)

    def test_first_seen_late_skips_levels_and_two_levels_per_customer(self):
        # First seen at 95 days: only the 90-day step, not four letters at once.
        late = self.invoice(self.customer, 700.0)
        recent = self.invoice(self.customer, 300.0, due=DUE + timedelta(days=80))
        events = self.run_dunning(DUE + timedelta(days=95))
        self.assertEqual(len(events), 2)
        by_level = {event.level_id: event for event in events}
        self.assertEqual(set(by_level), {self.legal, self.reminder})
        self.assertEqual(by_level[self.legal].line_ids.move_id, late)
        self.assertEqual(by_level[self.reminder].line_ids.move_id, recent)
        self.assertEqual(by_level[self.reminder].line_ids.days_overdue, 15)
        self.assertEqual(by_level[self.reminder].amount_total, 300.0)

    def test_same_day_rerun_and_failure_half_way(self):
        other = self.make_customer("Second Debtor", email="pay@second.example.com")
        self.invoice(self.customer, 100.0)
        self.invoice(other, 200.0)
        day = DUE + timedelta(days=8)
        original = CreditDunningEngine._perform

        def failing(engine, events):
            if other in events.partner_id:
                raise ValueError("SMTP template exploded")
            return original(engine, events)

        with patch.object(CreditDunningEngine, "_perform", failing):
            self.run_dunning(day)
        done, failed = self.dunning_events(self.customer), self.dunning_events(other)
        self.assertEqual((done.state, failed.state), ("done", "failed"))
        self.assertIn("SMTP template exploded", failed.error)
        self.assertFalse(self.mails(other))  # rolled back with its step
        self.assertEqual(len(self.mails(self.customer)), 1)
        # Rerun the same day: the failed step is retried, the done one is not repeated.
        self.run_dunning(day)
        self.run_dunning(day)
        self.assertEqual(len(self.dunning_events(self.customer)), 1)
        self.assertEqual(self.dunning_events(other).mapped("state"), ["failed", "done"])
        self.assertEqual(len(self.mails(self.customer)), 1)
        self.assertEqual(len(self.mails(other)), 1)

    def test_resume_after_crash_and_unique_key(self):
        self.invoice(self.customer, 100.0)
        day = DUE + timedelta(days=8)
        engine = self.env["credit.dunning.engine"].sudo()
        # A crash after planning leaves pending events and nothing sent.
        pending = engine._create_pending_events(engine._plan(self.company, day), day)
        self.assertEqual(pending.state, "pending")
        self.assertFalse(self.mails(self.customer))
        # A second planner (another run) cannot record the same step again.
        self.assertFalse(engine._create_pending_events(engine._plan(self.company, day), day))
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self.env["credit.dunning.event.line"].sudo().create({
                "event_id": pending.id, "level_id": self.reminder.id,
                "move_id": pending.line_ids.move_id.id, "move_line_id": pending.line_ids.move_line_id.id,
                "currency_id": self.currency.id})
        # The next run resumes: executes the pending step once.
        self.assertEqual(self.run_dunning(day), pending)
        self.assertEqual(pending.state, "done")
        self.assertEqual(len(self.mails(self.customer)), 1)
        self.assertFalse(self.run_dunning(day))

    def test_cron(self):
        self.invoice(self.customer, 100.0, due=date.today() - timedelta(days=8))
        cron = self.env.ref("credit_control.ir_cron_credit_dunning")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
            cron.method_direct_trigger()
        self.assertEqual(self.dunning_events(self.customer).level_id, self.reminder)
        self.assertEqual(len(self.mails(self.customer)), 1)

    def test_run_now_refused_while_cron_runs(self):
        self.invoice(self.customer, 100.0, due=date.today() - timedelta(days=8))
        cron = self.env.ref("credit_control.ir_cron_credit_dunning")
        wizard = self.env["credit.dunning.run"].with_user(self.credit_manager).create({})
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.level_id, self.reminder)
        # The running job holds its row lock (here from another connection).
        with self.registry.cursor() as other_cr:
            other_cr.execute("SET LOCAL lock_timeout = '5s'")
            other_cr.execute("SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE", [cron.id])
            with self.assertRaisesRegex(UserError, "running right now"):
                wizard.action_run()
            other_cr.rollback()
        action = wizard.action_run()
        events = self.dunning_events(self.customer)
        self.assertEqual(action["domain"], [("id", "in", events.ids)])
        self.assertEqual(events.user_id, self.credit_manager)

    def test_payments_and_credit_note_stop_the_ladder(self):
        ladder = self.make_procedure("Min 500", [
            {"days_overdue": 7, "min_overdue_amount": 500.0, "create_activity": True,
             "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id},
            {"days_overdue": 30, "min_overdue_amount": 500.0, "create_activity": True,
             "activity_type_id": self.env.ref("mail.mail_activity_data_call").id}])
        self.customer.credit_dunning_procedure_id = ladder
        invoice = self.invoice(self.customer, 1000.0)
        self.assertEqual(len(self.run_dunning(DUE + timedelta(days=8))), 1)
        # Partial payment: 400 left, under the 500 minimum: the ladder stops.
        self.pay(invoice, 600.0, date=DUE + timedelta(days=9))
        self.assertFalse(self.run_dunning(DUE + timedelta(days=31)))
        # Full payment stops it for good, whatever the minimum.
        ladder.level_ids.min_overdue_amount = 0.0
        self.pay(invoice, 400.0, date=DUE + timedelta(days=32))
        self.assertFalse(self.run_dunning(DUE + timedelta(days=40)))
        # A credit note reconciled with an invoice closes it as well.
        second = self.invoice(self.customer, 250.0)
        refund = self.make_invoice(self.customer, 250.0, move_type="out_refund", invoice_date=DUE)
        (second + refund).line_ids.filtered(lambda rec: rec.account_id.account_type == "asset_receivable").reconcile()
        self.assertTrue(second.currency_id.is_zero(second.amount_residual))
        self.assertFalse(self.run_dunning(DUE + timedelta(days=40)))

    def test_partial_payment_reminder_shows_open_amount(self):
        invoice = self.invoice(self.customer, 1000.0)
        self.pay(invoice, 600.0, date=DUE + timedelta(days=2))
        event = self.run_dunning(DUE + timedelta(days=8))
        self.assertEqual(event.line_ids.amount_residual, 400.0)
        self.assertIn("400.00", self.mails(self.customer).body_html)

    def test_two_currencies_in_one_reminder(self):
        self.invoice(self.customer, 1000.0)
        self.invoice(self.customer, 4000.0, currency=self.other_currency)
        event = self.run_dunning(DUE + timedelta(days=8))
        self.assertEqual(len(event), 1)
        self.assertEqual(sorted(event.line_ids.mapped("amount_residual")), [1000.0, 4000.0])
        self.assertEqual(event.line_ids.currency_id, self.currency | self.other_currency)
        self.assertEqual(event.amount_total, 3000.0)  # 4,000 EUR at 2 per company unit
        body = self.mails(self.customer).body_html
        self.assertIn("4,000.00", body)
        self.assertIn("1,000.00", body)
        self.assertIn(self.other_currency.symbol, body)

    def test_two_companies_two_procedures(self):
        company_2 = self.setup_other_company(name="Dunning Co 2")["company"]
        quick = self.make_procedure("Quick", [{
            "days_overdue": 3, "create_activity": True,
            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id}], company=company_2)
        company_2.credit_dunning_procedure_id = quick
        self.make_invoice(self.customer, 100.0, invoice_date=DUE - timedelta(days=30), due_date=DUE)
        self.make_invoice(self.customer, 100.0, invoice_date=DUE - timedelta(days=30), due_date=DUE,
                          company=company_2)
        both = self.company | company_2
        events = self.run_dunning(DUE + timedelta(days=5), companies=both)
        self.assertEqual((events.company_id, events.level_id.procedure_id), (company_2, quick))
        events = self.run_dunning(DUE + timedelta(days=8), companies=both)
        self.assertEqual((events.company_id, events.level_id), (self.company, self.reminder))

    def test_email_queued_with_real_pdf_letter(self):
        invoice = self.invoice(self.customer, 1500.0)
        # wkhtmltopdf must not call back this test server (its registry is locked by the
        # test): point it at a closed port, it renders the letter without the web assets.
        self.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        engine = self.env["credit.dunning.engine"].with_context(force_report_rendering=True)
        event = engine._run(self.company, date=DUE + timedelta(days=65))
        self.assertEqual((event.level_id, event.state), (self.demand, "done"))
        mail = self.mails(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn(invoice.name, mail.body_html)
        letter = mail.attachment_ids
        self.assertEqual(letter, event.letter_attachment_id)
        self.assertEqual(letter.mimetype, "application/pdf")
        self.assertTrue(letter.raw.startswith(b"%PDF"))
        self.assertGreater(len(letter.raw), 1000)
        # The letter is also on the customer's chatter, with the email.
        self.assertEqual(event.mail_message_id.model, "res.partner")
        self.assertEqual(event.mail_message_id.res_id, self.customer.id)
        self.assertEqual(event.mail_message_id.attachment_ids, letter)

    def test_letters_rendered_together_and_cut_per_letter(self):
        """Several letters in one wkhtmltopdf call, cut at each letter's marker: a letter longer
        than a page keeps all its pages, the next one starts on its own first page."""
        self.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")  # see above
        short_1 = self.make_customer("Short One", email="one@example.com")
        long_customer = self.make_customer("Long Letter", email="long@example.com")
        short_2 = self.make_customer("Short Two", email="two@example.com")
        self.invoice(short_1, 100.0)
        for number in range(45):
            self.invoice(long_customer, 10.0 + number)
        self.invoice(short_2, 200.0)
        engine = self.env["credit.dunning.engine"].sudo()
        day = DUE + timedelta(days=65)
        events = engine._create_pending_events(engine._plan(self.company, day, short_1 | long_customer | short_2), day)
        events = events.sorted(lambda event: [short_1, long_customer, short_2].index(event.partner_id))
        report = self.env["ir.actions.report"]
        run = type(report)._run_wkhtmltopdf
        with patch.object(type(report), "_run_wkhtmltopdf", autospec=True, side_effect=run) as alone_calls, \
                patch.object(pdf_batch, "_convert", wraps=pdf_batch._convert) as batch_calls:
            pdfs, report_format = render_per_record(
                self.env(context=dict(self.env.context, force_report_rendering=True)),
                "credit_control.action_report_credit_dunning_letter", events)
        self.assertEqual(report_format, "pdf")
        self.assertEqual((batch_calls.call_count, alone_calls.call_count), (1, 0))
        pages = {event.partner_id: PdfFileReader(io.BytesIO(pdfs[event.id])).getNumPages() for event in events}
        self.assertEqual(pages[short_1], 1)
        self.assertEqual(pages[short_2], 1)
        self.assertGreater(pages[long_customer], 1)
        for event in events:
            pages_text = (page.extract_text() for page in PdfFileReader(io.BytesIO(pdfs[event.id])).pages)
            text = " ".join(" ".join(pages_text).split())
            self.assertIn(event.partner_id.name, text)
            for other in (events - event).partner_id:
                self.assertNotIn(other.name, text)
            self.assertNotIn(MARKER_URL.encode(), pdfs[event.id])  # the markers are removed
        # The engine renders them together too.
        with patch.object(type(report), "_run_wkhtmltopdf", autospec=True, side_effect=run) as alone_calls, \
                patch.object(pdf_batch, "_convert", wraps=pdf_batch._convert) as batch_calls:
            letters = engine.with_context(force_report_rendering=True)._render_letters(events)
        self.assertEqual((batch_calls.call_count, alone_calls.call_count), (1, 0))
        self.assertEqual({letter.mimetype for letter in letters.values()}, {"application/pdf"})

    def test_level_attaches_statement_of_account(self):
        """A level with *Attach Statement of Account* adds each customer's own statement (the
        default period up to the run date) to its email, all rendered in one batch; a level
        without it attaches nothing."""
        second = self.make_customer("Second Debtor Ltd", email="ap@second.example.com")
        plain = self.make_customer("Plain Debtor Ltd", email="ap@plain.example.com")
        self.invoice(self.customer, 1234.5)
        self.invoice(second, 567.8)
        self.invoice(plain, 99.9, due=DUE + timedelta(days=20))
        self.reminder.attach_statement = True
        with patch.object(credit_statement_engine, "render_per_record", wraps=render_per_record) as render:
            self.run_dunning(DUE + timedelta(days=8))
        self.assertEqual(render.call_count, 1)
        self.assertEqual(render.call_args.args[2], self.customer | second)
        self.assertEqual(render.call_args.kwargs["data"]["date_from"], "2025-11-01")
        self.assertEqual(render.call_args.kwargs["data"]["date_to"], "2026-01-09")
        for partner, amount, other in ((self.customer, "1,234.50", second), (second, "567.80", self.customer)):
            mail = self.mails(partner)
            self.assertEqual(len(mail), 1)
            statement = mail.attachment_ids
            self.assertEqual(len(statement), 1)
            self.assertEqual(statement.name, f"Statement - {partner.name} - 2026-01-09.html")  # HTML in tests
            self.assertEqual((statement.res_model, statement.res_id), ("res.partner", partner.id))
            html = statement.raw.decode()
            self.assertIn(partner.name, html)
            self.assertIn(amount, html)
            self.assertNotIn(other.name, html)
        self.reminder.attach_statement = False
        self.run_dunning(DUE + timedelta(days=27))
        mail = self.mails(plain)
        self.assertEqual(len(mail), 1)
        self.assertIn("payment reminder", mail.subject)
        self.assertFalse(mail.attachment_ids)

    def test_chinese_customer_gets_chinese_emails(self):
        """One template per level, rendered in the customer's language from zh_CN.po: the
        subject, every paragraph and the invoice table are Chinese, with the real figures."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["credit_control"], ["zh_CN"], overwrite=True)
        self.customer.lang = "zh_CN"
        invoice = self.invoice(self.customer, 1234.5)
        for days in (8, 31, 61, 91):
            with freeze_time(DUE + timedelta(days=days)):
                self.run_dunning(DUE + timedelta(days=days))
        reminder, demand, legal = self.mails(self.customer)
        company = self.company.name
        self.assertEqual(reminder.subject, f"{company}：付款提醒")
        self.assertEqual(demand.subject, f"{company}：正式催款函")
        self.assertEqual(legal.subject, f"{company}：贵方账户已移交催收")
        amount = "1,234.50"
        for mail, days, sentence in ((reminder, 8, "烦请在近日内安排付款"), (demand, 61, "随函附上正式催款函"),
                                     (legal, 91, "本案已移交法律程序或专业催收机构处理")):
            body = mail.body_html
            self.assertIn(f"尊敬的 {self.customer.name}：", body)
            self.assertIn(sentence, body)
            for header in ("发票", "到期日", "逾期天数", "应付金额"):
                self.assertIn(f">{header}</th>", body)
            self.assertIn(invoice.name, body)
            self.assertIn("2026-01-01", body)
            self.assertIn(f">{days}</td>", body)
            self.assertIn(amount, body)
            self.assertIn(company, body)
            for english in ("Dear", "Invoice<", "Due date", "Amount due", "Kind regards", "overdue"):
                self.assertNotIn(english, body)
        # An English customer still gets the English text of the same templates.
        other = self.make_customer("English Co", email="ap@english.example.com")
        self.invoice(other, 100.0)
        self.run_dunning(DUE + timedelta(days=8), partners=other)
        mail = self.mails(other)
        self.assertEqual(mail.subject, f"{company}: payment reminder")
        self.assertIn("Dear English Co,", mail.body_html)
        self.assertIn(">Days overdue</th>", mail.body_html)

    def test_no_email_falls_back_to_letter_and_others_go_on(self):
        mute = self.make_customer("No Email Co", user_id=self.account_manager.id)
        self.invoice(mute, 100.0)
        self.invoice(self.customer, 100.0)
        events = self.run_dunning(DUE + timedelta(days=8))
        self.assertEqual(len(events), 2)
        fallback = events.filtered(lambda e: e.partner_id == mute)
        self.assertEqual((fallback.state, fallback.channel), ("fallback", "letter"))
        self.assertIn("no email address", fallback.error)
        self.assertTrue(fallback.letter_attachment_id)
        self.assertEqual(fallback.mail_message_id.attachment_ids, fallback.letter_attachment_id)
        self.assertFalse(self.mails(mute))
        todo = mute.activity_ids
        self.assertEqual((todo.user_id, todo.activity_type_id),
                         (self.account_manager, self.env.ref("mail.mail_activity_data_todo")))
        self.assertEqual((events - fallback).state, "done")
        self.assertEqual(len(self.mails(self.customer)), 1)

    def test_fee_posted_or_added_to_draft(self):
        fee_ladder = self.make_procedure("Fees", [
            {"days_overdue": 7, "fee_type": "fixed", "fee_fixed": 25.0},
            {"days_overdue": 30, "fee_type": "percent", "fee_percent": 2.0}])
        self.customer.credit_dunning_procedure_id = fee_ladder
        self.invoice(self.customer, 1000.0)
        fee_move = self.run_dunning(DUE + timedelta(days=8)).fee_move_id
        self.assertEqual((fee_move.state, fee_move.amount_total), ("posted", 25.0))
        self.assertEqual(fee_move.currency_id, self.currency)
        self.company.credit_dunning_fee_mode = "line"
        draft = self.make_invoice(self.customer, 50.0, post=False)
        fee_move = self.run_dunning(DUE + timedelta(days=31)).fee_move_id
        self.assertEqual(fee_move, draft)
        self.assertEqual(draft.amount_total, 50.0 + 20.0)  # 2 % of 1,000

    def test_rights(self):
        self.invoice(self.customer, 100.0)
        wizard = self.env["credit.dunning.run"].with_user(self.credit_user).create({"date": DUE + timedelta(days=8)})
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.level_id, self.reminder)
        self.assertEqual(wizard.line_ids.amount, 100.0)
        with self.assertRaises(AccessError):
            wizard.action_run()
        with self.assertRaises(AccessError):
            self.env["credit.dunning.run"].with_user(self.salesman_billing).create({})
        self.assertFalse(self.dunning_events(self.customer))  # the preview wrote nothing
        with self.assertRaises(AccessError):
            self.env["credit.dunning.engine"].with_user(self.credit_user)._run_manual(self.company)
        event = self.run_dunning(DUE + timedelta(days=8))
        for user in (self.credit_user, self.credit_manager):
            self.assertTrue(event.with_user(user).read(["state"]))
            with self.assertRaises(UserError):
                event.with_user(user).write({"state": "failed"})
            with self.assertRaises(UserError):
                event.line_ids.with_user(user).write({"amount_residual": 1.0})
            with self.assertRaises(UserError):
                event.with_user(user).unlink()
        with self.assertRaises(UserError):
            event.sudo().write({"error": "rewritten"})
        with self.assertRaises(UserError):
            event.sudo().unlink()
        with self.assertRaises(AccessError):
            event.with_user(self.salesman).read(["state"])
        # Only managers change a customer's procedure or collection flag.
        with self.assertRaises(AccessError):
            self.customer.with_user(self.salesman_billing).write({"credit_in_collection": True})

    def test_query_count_constant_per_group(self):
        customers = [self.make_customer(f"Bulk {i}", email=f"b{i}@example.com") for i in range(12)]
        for customer in customers:
            self.invoice(customer, 100.0)
            self.invoice(customer, 50.0, currency=self.other_currency)
        engine = self.env["credit.dunning.engine"].sudo()
        day = DUE + timedelta(days=8)
        self.env.invalidate_all()
        count = self.cr.sql_log_count
        steps = engine._plan(self.company, day)
        plan_queries = self.cr.sql_log_count - count
        self.assertEqual(len(steps), 12)
        self.assertLessEqual(plan_queries, 12)
        start, count = time.time(), self.cr.sql_log_count
        events = self.run_dunning(day)
        elapsed, queries = time.time() - start, self.cr.sql_log_count - count
        self.assertEqual(len(events), 12)
        per_group = queries / 12
        self.assertLess(per_group, 6)  # batched: no query per event left
        _logger.info("dunning: 12 groups (24 invoices) in %.2fs, plan %s queries, %.1f queries per group",
                     elapsed, plan_queries, per_group)

    def test_collision_with_another_run_retakes_the_batch(self):
        """A batch that collides with another run's transaction is not the customers' fault:
        the daily job rolls it back and takes it again, nothing is marked failed."""
        self.invoice(self.customer, 100.0, due=date.today() - timedelta(days=8))
        original = CreditDunningEngine._execute_events
        calls = []

        def colliding(engine, events):
            calls.append(events.ids)
            if len(calls) == 1:
                raise pg_errors.SerializationFailure("could not serialize access due to concurrent update")
            return original(engine, events)

        cron = self.env.ref("credit_control.ir_cron_credit_dunning")
        with patch.object(CreditDunningEngine, "_execute_events", colliding), self.enter_registry_test_mode():
            cron.method_direct_trigger()
        event = self.dunning_events(self.customer)
        self.assertEqual(len(calls), 2)
        self.assertEqual(calls[0], calls[1])
        self.assertEqual(event.state, "done")
        self.assertEqual(len(self.mails(self.customer)), 1)
        # A manual run has no other transaction to retry in: the collision is the caller's error.
        self.invoice(self.customer, 50.0, due=date.today() - timedelta(days=9))
        calls.clear()
        with patch.object(CreditDunningEngine, "_execute_events", colliding), \
                self.assertRaises(pg_errors.SerializationFailure):
            self.run_dunning(date.today())
