from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import CreditCommon


def receivable_lines(moves):
    return moves.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestBehaviour(CreditCommon):
    """Payment behaviour figures on a crafted history: early, late, partial payments, a credit
    note, two currencies, an old payment out of the 12 months, dunning and a dispute."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.credit_dunning_procedure_id = cls.env.ref("credit_control.credit_dunning_procedure_standard")
        cls.payer = cls.make_customer("Behaviour Co", limit=10000.0, email="ap@behaviour.example.com")
        # Paid 13 months ago: out of the 12 months.
        old = cls.make_invoice(cls.payer, 300.0, invoice_date=date(2025, 4, 1), due_date=date(2025, 4, 15))
        cls.pay(old, 300.0, date=date(2025, 5, 1))
        # Paid early: 20 days to pay, 0 late.
        cls.inv1 = cls.make_invoice(cls.payer, 1000.0, invoice_date=date(2026, 3, 1), due_date=date(2026, 3, 31))
        cls.pay(cls.inv1, 1000.0, date=date(2026, 3, 21))
        # Paid in two parts, fully on 2026-05-20: 49 days to pay, 20 late.
        cls.inv2 = cls.make_invoice(cls.payer, 2000.0, invoice_date=date(2026, 4, 1), due_date=date(2026, 4, 30))
        cls.pay(cls.inv2, 500.0, date=date(2026, 5, 10))
        cls.pay(cls.inv2, 1500.0, date=date(2026, 5, 20))
        # 4,000 EUR = 2,000 company currency: 40 days to pay, 10 late.
        cls.inv3 = cls.make_invoice(cls.payer, 4000.0, currency=cls.other_currency,
                                    invoice_date=date(2026, 5, 1), due_date=date(2026, 5, 31))
        cls.pay(cls.inv3, 4000.0, date=date(2026, 6, 10))
        # 600 less a credit note of 100, the rest paid on time: weighs 500, 20 days to pay.
        cls.inv4 = cls.make_invoice(cls.payer, 600.0, invoice_date=date(2026, 5, 15), due_date=date(2026, 6, 14))
        refund = cls.make_invoice(cls.payer, 100.0, move_type="out_refund", invoice_date=date(2026, 5, 20))
        receivable_lines(cls.inv4 | refund).reconcile()
        cls.pay(cls.inv4, 500.0, date=date(2026, 6, 4))
        # Open and overdue since 2026-06-15.
        cls.inv5 = cls.make_invoice(cls.payer, 800.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 6, 15))

    def behaviour(self, partner):
        return self.env["credit.behaviour.engine"]._compute_behaviour(partner, self.company)[
            (partner.commercial_partner_id.id, self.company.id)]

    def test_payment_figures_to_the_day_and_cent(self):
        figures = self.behaviour(self.payer)
        # weights 1000 + 2000 + 2000 + 500 = 5500
        # to pay: (1000×20 + 2000×49 + 2000×40 + 500×20) / 5500 = 208000 / 5500
        self.assertEqual(figures["avg_days_to_pay"], 37.82)
        # late: (2000×20 + 2000×10) / 5500
        self.assertEqual(figures["avg_days_late"], 10.91)
        # on time: 1000 + 500 of 5500
        self.assertEqual(figures["on_time_share"], 27.27)
        self.assertEqual(figures["invoices_paid_count"], 4)
        # sales of the 12 months: 1000 + 2000 + 2000 + 600 - 100 + 800; of the 90 days
        # (invoiced after 2026-04-01): 2000 + 600 - 100 + 800
        self.assertEqual(figures["sales_12m"], 6300.0)
        self.assertEqual(figures["sales_90d"], 3300.0)
        # DSO: 800 open / 3300 × 90
        self.assertEqual(figures["receivable"], 800.0)
        self.assertEqual(figures["dso"], 21.82)
        self.assertEqual((figures["dunning_steps"], figures["dunning_level"], figures["disputes"]), (0, 0, 0))
        self.assertTrue(figures["has_payments"])
        # The Credit tab shows the same figures.
        self.assertAlmostEqual(self.payer.credit_avg_days_to_pay, 37.82)
        self.assertAlmostEqual(self.payer.credit_avg_days_late, 10.91)
        self.assertAlmostEqual(self.payer.credit_dso, 21.82)
        self.assertEqual(self.payer.credit_invoices_paid_count, 4)

    def test_dunning_and_disputes(self):
        self.run_dunning(date(2026, 6, 30))  # inv5 is 15 days overdue: the 7-day reminder
        dispute = self.env["credit.dispute"].create({"move_id": self.inv5.id, "amount": 100.0})
        # create_date comes from the database clock, which freeze_time does not stop
        self.env.cr.execute("UPDATE credit_dispute SET create_date = '2026-06-30 10:00' WHERE id = %s", [dispute.id])
        figures = self.behaviour(self.payer)
        self.assertEqual((figures["dunning_steps"], figures["dunning_level"], figures["disputes"]), (1, 1, 1))
        self.assertEqual(self.payer.credit_dunning_steps, 1)
        self.assertEqual(self.payer.credit_disputes_12m, 1)

    def test_no_history_and_contacts(self):
        newcomer = self.make_customer("Newcomer")
        figures = self.behaviour(newcomer)
        self.assertEqual((figures["avg_days_to_pay"], figures["dso"], figures["invoices_paid_count"]), (0.0, 0.0, 0))
        self.assertFalse(figures["has_payments"])
        # Owing without sales in 90 days: the longest DSO.
        self.make_invoice(newcomer, 50.0, invoice_date=date(2026, 1, 5), due_date=date(2026, 2, 4))
        self.assertEqual(self.behaviour(newcomer)["dso"], 3650.0)
        # An invoice of a contact counts for its company.
        contact = self.env["res.partner"].create({"name": "AP clerk", "parent_id": newcomer.id})
        invoice = self.make_invoice(contact, 100.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 6, 11))
        self.pay(invoice, 100.0, date=date(2026, 6, 16))
        figures = self.behaviour(contact)
        self.assertEqual((figures["avg_days_to_pay"], figures["avg_days_late"]), (15.0, 5.0))
        self.assertEqual(figures["on_time_share"], 0.0)

    def test_companies_separate_and_query_count(self):
        company_2 = self.setup_other_company(name="Behaviour Co 2")["company"]
        figures = self.env["credit.behaviour.engine"]._compute_behaviour(self.payer, self.company | company_2)
        self.assertEqual(figures[(self.payer.id, company_2.id)]["invoices_paid_count"], 0)
        self.assertEqual(figures[(self.payer.id, self.company.id)]["invoices_paid_count"], 4)
        engine = self.env["credit.behaviour.engine"]
        others = self.env["res.partner"]
        for i in range(5):
            other = self.make_customer(f"Payer {i}")
            invoice = self.make_invoice(other, 100.0 + i, invoice_date=date(2026, 6, 1), due_date=date(2026, 6, 11))
            self.pay(invoice, 100.0 + i, date=date(2026, 6, 20))
            others |= other
        engine._compute_behaviour(self.payer, self.company)  # warm the caches
        # 5 statements (payments, sales, snapshots, dunning and disputes, receivable) and 3 reads
        # of partners and currencies, whatever the number of customers
        self.env.invalidate_all()
        with self.assertQueryCount(8):
            engine._compute_behaviour(self.payer, self.company)
        self.env.invalidate_all()
        with self.assertQueryCount(8):
            figures = engine._compute_behaviour(self.payer | others, self.company)
        self.assertEqual(figures[(others[2].id, self.company.id)]["avg_days_late"], 9.0)
