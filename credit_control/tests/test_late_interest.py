from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CreditCommon

DUE = date(2026, 1, 1)


@tagged("post_install", "-at_install")
class TestLateInterest(CreditCommon):
    """Late-payment interest to the cent on the invoice, with partial payments and in the
    invoice's currency; none for disputed or plan-covered invoices; invoiced by a dunning level
    never twice for the same days."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.credit_late_interest_rate = 10.0
        cls.customer.email = "ap@customer.example.com"

    def invoice(self, amount, currency=None, partner=None):
        return self.make_invoice(partner or self.customer, amount, currency=currency,
                                 invoice_date=date(2025, 12, 1), due_date=DUE)

    def interest(self, move, day):
        with freeze_time(day):
            move.invalidate_recordset(["credit_late_interest"])
            return move.credit_late_interest

    def test_interest_on_invoice_with_payments_and_currencies(self):
        invoice = self.invoice(1000.0)
        # 73 days at 10 %: 1000 × 0.10 × 73 / 365 = 20.00
        self.assertEqual(self.interest(invoice, date(2026, 3, 15)), 20.0)
        self.assertEqual(self.interest(invoice, DUE), 0.0)
        # 400 paid on 1 February: 1000 for 31 days, 600 for 42 days = 8.4932 + 6.9041 = 15.40
        self.pay(invoice, 400.0, date=date(2026, 2, 1))
        self.assertEqual(self.interest(invoice, date(2026, 3, 15)), 15.40)
        # In the invoice's currency: 2,000 EUR for 73 days = 40.00 EUR.
        eur = self.invoice(2000.0, currency=self.other_currency)
        self.assertEqual(self.interest(eur, date(2026, 3, 15)), 40.0)
        self.assertEqual(eur.currency_id, self.other_currency)
        # The grade's own rate wins: 12 % → 24.00.
        self.grade_b.late_interest_rate = 12.0
        self.assertEqual(self.interest(self.invoice(1000.0), date(2026, 3, 15)), 24.0)

    def test_none_for_disputed_or_planned(self):
        disputed = self.invoice(1000.0)
        self.env["credit.dispute"].create({
            "move_id": disputed.id, "company_id": self.company.id, "reason": "quality", "amount": 1000.0})
        self.assertEqual(self.interest(disputed, date(2026, 3, 15)), 0.0)
        planned = self.invoice(500.0)
        plan = self.env["credit.payment.plan"].create({
            "partner_id": self.customer.id, "move_ids": [(6, 0, planned.ids)], "instalment_count": 2,
            "first_date": date(2026, 2, 1), "down_payment_date": date(2026, 1, 20)})
        plan.action_generate_lines()
        with freeze_time(date(2026, 1, 20)):
            plan.action_activate()
        self.assertEqual(self.interest(planned, date(2026, 3, 15)), 0.0)

    def test_dunning_invoices_interest_never_twice(self):
        procedure = self.make_procedure("Interest", [
            {"days_overdue": 31, "charge_interest": True},
            {"days_overdue": 60, "charge_interest": True, "min_days_since_previous": 7}])
        self.company.credit_dunning_procedure_id = procedure
        invoice = self.invoice(1000.0)
        eur = self.invoice(2000.0, currency=self.other_currency)
        with freeze_time(date(2026, 2, 1)):
            event = self.run_dunning(date(2026, 2, 1))
        charges = event.interest_charge_ids
        # 31 days: 1000 × 0.1 × 31 / 365 = 8.49; 2000 EUR: 16.99 EUR, each on its own invoice.
        self.assertEqual(sorted(charges.mapped("amount")), [8.49, 16.99])
        interest_invoices = charges.invoice_id
        self.assertEqual(len(interest_invoices), 2)
        self.assertEqual(set(interest_invoices.mapped("state")), {"posted"})
        by_currency = {move.currency_id: move.amount_total for move in interest_invoices}
        self.assertEqual(by_currency, {self.currency: 8.49, self.other_currency: 16.99})
        # The invoice shows only what is not charged yet.
        self.assertEqual(self.interest(invoice, date(2026, 2, 1)), 0.0)
        self.assertEqual(self.interest(invoice, date(2026, 2, 11)), 2.74)  # 10 days: 2.7397
        # The same day again: nothing charged twice.
        with freeze_time(date(2026, 2, 1)):
            self.assertFalse(self.run_dunning(date(2026, 2, 1)))
        # 60 days: the 29 days since the last charge only (7.95), the first 31 never again.
        with freeze_time(date(2026, 3, 2)):
            second = self.run_dunning(date(2026, 3, 2))
        mine = second.interest_charge_ids.filtered(lambda charge: charge.move_id == invoice)
        self.assertEqual((mine.date_from, mine.date_to, mine.amount), (date(2026, 2, 1), date(2026, 3, 2), 7.95))
        total = sum(self.env["credit.late.interest.charge"].search([("move_id", "=", invoice.id)]).mapped("amount"))
        self.assertAlmostEqual(total, 8.49 + 7.95)
        self.assertEqual(self.interest(eur, date(2026, 3, 2)), 0.0)

    def test_interest_invoiced_monthly(self):
        """A company invoicing interest monthly: the steps record the charges without an invoice
        (the invoice still shows them as not invoiced), and the first run of the next month
        bills the month's charges in one posted invoice per currency, once."""
        self.company.credit_late_interest_invoicing = "monthly"
        self.company.credit_dunning_procedure_id = self.make_procedure("Monthly", [
            {"days_overdue": 31, "charge_interest": True},
            {"days_overdue": 60, "charge_interest": True, "min_days_since_previous": 7}])
        invoice = self.invoice(1000.0)
        self.invoice(2000.0, currency=self.other_currency)
        Move, cron = self.env["account.move"], self.env.ref("credit_control.ir_cron_credit_invoice_interest")
        product = self.env.ref("credit_control.product_late_interest")
        interest_domain = [("invoice_line_ids.product_id", "=", product.id)]
        with freeze_time(date(2026, 2, 1)):
            february = self.run_dunning(date(2026, 2, 1)).interest_charge_ids
        self.assertEqual(sorted(february.mapped("amount")), [8.49, 16.99])
        self.assertFalse(february.invoice_id)
        # Charged, not invoiced: 41 days shown on 11 February (11.23), none charged twice later.
        self.assertEqual(self.interest(invoice, date(2026, 2, 11)), 11.23)
        with freeze_time(date(2026, 2, 20)), self.enter_registry_test_mode():
            cron.method_direct_trigger()  # February's charges wait for March
        self.assertFalse(Move.search(interest_domain))
        with freeze_time(date(2026, 3, 2)):
            march = self.run_dunning(date(2026, 3, 2)).interest_charge_ids
        self.assertEqual(march.filtered(lambda charge: charge.move_id == invoice).amount, 7.95)
        with freeze_time(date(2026, 3, 3)), self.enter_registry_test_mode():
            cron.method_direct_trigger()
            cron.method_direct_trigger()  # the same day again: nothing billed twice
        billed = Move.search(interest_domain)
        self.assertEqual({move.currency_id: move.amount_total for move in billed},
                         {self.currency: 8.49, self.other_currency: 16.99})
        self.assertEqual(set(billed.mapped("state")), {"posted"})
        self.assertEqual(set(billed.mapped("invoice_date")), {date(2026, 3, 3)})
        self.assertEqual(february.invoice_id, billed)
        self.assertFalse(march.invoice_id)
        self.assertIn(f"{invoice.name}, 01/01/2026 – 02/01/2026: ",
                      billed.filtered(lambda move: move.currency_id == self.currency).invoice_line_ids.name)
        # Billed up to 1 February, charged (not billed) up to 2 March: 30 days shown on 3 March.
        self.assertEqual(self.interest(invoice, date(2026, 3, 3)), 8.22)
        with freeze_time(date(2026, 4, 1)), self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertEqual(len(march.invoice_id), 2)
        self.assertEqual(march.filtered(lambda charge: charge.move_id == invoice).invoice_id.amount_total, 7.95)

    def test_charges_posted_although_the_customer_is_blocked(self):
        """The interest and the fee are charged because the customer is overdue: the credit
        block of invoice posting, which refuses the customer's other invoices for that very
        reason, does not stop them; one line per interest invoice lists the instalments."""
        self.company.credit_dunning_procedure_id = self.make_procedure("Blocked", [
            {"days_overdue": 31, "charge_interest": True, "fee_type": "fixed", "fee_fixed": 15.0}])
        first, second = self.invoice(1000.0), self.invoice(500.0)
        self.company.credit_block_invoice_posting = True
        with freeze_time(date(2026, 2, 1)):
            blocked = self.make_invoice(self.customer, 100.0, invoice_date=date(2026, 2, 1), post=False)
            with self.assertRaises(UserError):
                blocked.action_post()
            event = self.run_dunning(date(2026, 2, 1))
        self.assertEqual((event.fee_move_id.state, event.fee_move_id.amount_total), ("posted", 15.0))
        interest = event.interest_charge_ids.invoice_id
        self.assertEqual((interest.state, interest.amount_total), ("posted", 8.49 + 4.25))  # 31 days at 10 %
        self.assertEqual(len(interest.invoice_line_ids), 1)
        description = interest.invoice_line_ids.name
        for move, amount in ((first, "8.49"), (second, "4.25")):
            self.assertIn(f"{move.name}, 01/01/2026 – 02/01/2026: ", description)
            self.assertIn(amount, description)
        self.assertEqual(blocked.state, "draft")
