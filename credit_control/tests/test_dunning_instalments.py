from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import CreditCommon

INVOICE_DATE = date(2026, 1, 1)


@tagged("post_install", "-at_install")
class TestDunningInstalments(CreditCommon):
    """Dunning per instalment: an invoice on "30 % now, balance in 60 days" is late from its
    first instalment's date, whereas Odoo's ``invoice_date_due`` is the last one's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.credit_dunning_procedure_id = cls.env.ref("credit_control.credit_dunning_procedure_standard")
        cls.reminder, cls.call, cls.demand = (
            cls.env.ref(f"credit_control.credit_dunning_level_{x}") for x in ("reminder", "call", "demand"))
        cls.customer.email = "ap@customer.example.com"
        # Instalments on "30 % now, balance in 60 days" (core's term): 1 January and 2 March.
        cls.term = cls.env.ref("account.account_payment_term_advance_60days")

    def make_term_invoice(self, amount, currency=None):
        move = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.customer.id,
            "currency_id": (currency or self.currency).id,
            "invoice_date": INVOICE_DATE, "invoice_payment_term_id": self.term.id,
            "invoice_line_ids": [Command.create({"product_id": self.product.id, "quantity": 1, "price_unit": amount,
                                                 "tax_ids": [Command.clear()]})],
        })
        move.action_post()
        return move

    def dun(self, day):
        with freeze_time(day):
            return self.run_dunning(day)

    def test_first_instalment_dunned_before_last_is_due(self):
        invoice = self.make_term_invoice(1000.0)
        first, second = invoice.credit_instalment_ids.sorted("date_maturity")
        self.assertEqual((first.date_maturity, second.date_maturity), (INVOICE_DATE, date(2026, 3, 2)))
        self.assertEqual(invoice.invoice_date_due, date(2026, 3, 2))
        # 40 days after the first instalment: its highest level reached, for its 300 only.
        event = self.dun(date(2026, 2, 10))
        self.assertEqual(event.level_id, self.call)
        self.assertEqual(event.amount_total, 300.0)
        self.assertEqual(event.line_ids.move_line_id, first)
        self.assertEqual((event.line_ids.days_overdue, event.line_ids.date_due), (40, INVOICE_DATE))
        self.assertEqual(event.line_ids.amount_residual, 300.0)
        self.assertEqual(event.line_ids.display_name, f"{invoice.name} 1/2")
        self.assertIn(f"{invoice.name} 1/2", event.invoice_table)
        # The Dunning tab: the invoice is 40 days late, its second instalment not yet.
        with freeze_time(date(2026, 2, 10)):
            invoice.invalidate_recordset()
            first.invalidate_recordset()
            self.assertEqual(invoice.credit_days_overdue, 40)
            self.assertEqual(invoice.credit_dunning_level_id, self.call)
            self.assertEqual((first.credit_days_overdue, first.credit_dunning_level_id), (40, self.call))
            self.assertEqual((second.credit_days_overdue, second.credit_dunning_level_id.id), (0, False))
            # Next: the first instalment's demand at 60 days (2 March, before the second's
            # reminder on 9 March).
            self.assertEqual(invoice.credit_dunning_next_level_id, self.demand)
            self.assertEqual(invoice.credit_dunning_next_date, date(2026, 3, 2))
        # 10 days after the second one: each instalment its own level, one step each.
        events = self.dun(date(2026, 3, 12))
        by_level = {event.level_id: event.line_ids for event in events}
        self.assertEqual(set(by_level), {self.demand, self.reminder})
        self.assertEqual(by_level[self.demand].move_line_id, first)
        self.assertEqual(by_level[self.demand].days_overdue, 70)
        self.assertEqual(by_level[self.reminder].move_line_id, second)
        self.assertEqual((by_level[self.reminder].days_overdue, by_level[self.reminder].amount_residual), (10, 700.0))
        demand = events.filtered(lambda e: e.level_id == self.demand)
        self.assertTrue(demand.letter_attachment_id)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", demand.mail_message_id.id)])
        self.assertIn(f"{invoice.name} 1/2", mail.body_html)
        self.assertFalse(self.dun(date(2026, 3, 12)))  # never twice at one level

    def test_paid_instalment_and_other_currency(self):
        invoice = self.make_term_invoice(1000.0, currency=self.other_currency)
        first, second = invoice.credit_instalment_ids.sorted("date_maturity")
        self.pay(invoice, 300.0, date=date(2026, 1, 5))
        self.assertTrue(first.reconciled)
        self.assertEqual(second.amount_residual_currency, 700.0)
        # The first instalment is paid: nothing until the second is late.
        self.assertFalse(self.dun(date(2026, 2, 10)))
        event = self.dun(date(2026, 3, 10))
        self.assertEqual(event.level_id, self.reminder)
        self.assertEqual(event.line_ids.move_line_id, second)
        # 700 EUR at 2 EUR per company unit: 350 in the company currency.
        self.assertEqual((event.line_ids.amount_residual, event.line_ids.currency_id), (700.0, self.other_currency))
        self.assertEqual(event.amount_total, 350.0)
        self.assertEqual(event.line_ids.display_name, f"{invoice.name} 2/2")
