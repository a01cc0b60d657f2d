from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
class TestLimitation(CreditCommon):
    """The date an open invoice's claim expires (company period, a country's own), the filter,
    and the alert once, some days before."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"credit_limitation_years": 3, "credit_limitation_alert_days": 90})
        cls.germany = cls.env.ref("base.de")
        cls.env["credit.limitation.period"].create({"company_id": cls.company.id, "country_id": cls.germany.id,
                                                    "years": 2})
        cls.german = cls.make_customer("German Debtor", country_id=cls.germany.id)
        cls.old = cls.make_invoice(cls.customer, 100.0, invoice_date=date(2022, 12, 16), due_date=date(2023, 1, 15))
        cls.de = cls.make_invoice(cls.german, 200.0, invoice_date=date(2024, 2, 1), due_date=date(2024, 3, 1))
        cls.paid = cls.make_invoice(cls.customer, 50.0, invoice_date=date(2022, 12, 16), due_date=date(2023, 1, 15))
        cls.pay(cls.paid, 50.0, date=date(2023, 1, 10))
        cls.cron = cls.env.ref("credit_control.ir_cron_credit_limitation_alert")

    def alerts(self, day):
        with freeze_time(day), self.enter_registry_test_mode():
            self.cron.method_direct_trigger()

    def test_dates_filter_and_alerts(self):
        self.assertEqual(self.old.credit_limitation_date, date(2026, 1, 15))
        self.assertEqual(self.de.credit_limitation_date, date(2026, 3, 1))  # Germany: 2 years
        Move = self.env["account.move"]
        mine = [("id", "in", (self.old | self.de | self.paid).ids)]
        self.assertEqual(Move.search(mine + [("credit_limitation_date", "<=", "2026-01-31")]), self.old | self.paid)
        self.assertEqual(Move.search(mine + [("credit_limitation_date", ">", "2026-01-31")]), self.de)
        # 20 October 2025: the old invoice expires within 90 days, the German one not yet; paid: never.
        self.alerts(date(2025, 10, 20))
        self.alerts(date(2025, 10, 21))  # once
        self.assertEqual(self.old.credit_limitation_alert_date, date(2025, 10, 20))
        self.assertFalse(self.de.credit_limitation_alert_date)
        self.assertFalse(self.paid.credit_limitation_alert_date)
        activities = self.old.activity_ids
        self.assertEqual(len(activities.filtered(lambda a: a.user_id == self.credit_manager)), 1)
        self.assertEqual(activities.mapped("date_deadline")[0], date(2026, 1, 15))
        self.assertIn("expires on 2026-01-15", activities[0].summary)
        self.alerts(date(2025, 12, 5))
        self.assertEqual(self.de.credit_limitation_alert_date, date(2025, 12, 5))

    def test_alert_queries_independent_of_invoices(self):
        """Four invoices to alert cost no more queries than one (one search, the activities
        created together, one UPDATE)."""
        Move = self.env["account.move"]
        with freeze_time(date(2025, 10, 20)):
            self.env.invalidate_all()
            one, queries_one = self.queries(Move._credit_limitation_alerts, self.company, date(2025, 10, 20))
            more = self.make_invoice(self.customer, 10.0, invoice_date=date(2022, 12, 1), due_date=date(2023, 1, 1))
            for amount in (20.0, 30.0, 40.0):
                more |= self.make_invoice(self.customer, amount, invoice_date=date(2022, 12, 1),
                                          due_date=date(2023, 1, 1))
            self.env.invalidate_all()
            four, queries_four = self.queries(Move._credit_limitation_alerts, self.company, date(2025, 10, 20))
        self.assertEqual((one, four), (self.old, more))
        self.assertLessEqual(len(queries_four), len(queries_one), "\n".join(queries_four))  # more: no more queries
