from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import CreditCommon

TODAY = date(2026, 6, 30)


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestSnapshot(CreditCommon):
    """The daily snapshot: the engines' live figures, one row per customer, company and day,
    the customers' last-snapshot fields behind the worklist filters, retention, query count."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.late = cls.make_customer("Late Payer", limit=500.0)
        cls.make_invoice(cls.late, 800.0, invoice_date=date(2026, 4, 1), due_date=date(2026, 4, 21))
        cls.good = cls.make_customer("Good Payer", limit=5000.0)
        paid = cls.make_invoice(cls.good, 1000.0, invoice_date=date(2026, 5, 1), due_date=date(2026, 5, 31))
        cls.pay(paid, 1000.0, date=date(2026, 5, 25))
        cls.make_invoice(cls.good, 300.0, invoice_date=date(2026, 6, 20), due_date=date(2026, 7, 20))
        cls.make_order(cls.good, 200.0).action_confirm()
        cls.Snapshot = cls.env["credit.partner.snapshot"]

    def snapshot(self, partner, day=TODAY):
        return self.Snapshot.search([("partner_id", "=", partner.id), ("date", "=", day),
                                     ("company_id", "=", self.company.id)])

    def test_snapshot_equals_live_figures_and_is_idempotent(self):
        self.Snapshot._snapshot(self.company)
        self.Snapshot._snapshot(self.company)
        row = self.snapshot(self.good)
        self.assertEqual(len(row), 1)
        figures = self.figures(self.good)
        behaviour = self.env["credit.behaviour.engine"]._compute_behaviour(self.good, self.company)[
            (self.good.id, self.company.id)]
        self.assertEqual((row.receivable, row.uninvoiced_orders, row.exposure, row.credit_limit),
                         (300.0, 200.0, 500.0, 5000.0))
        self.assertEqual(row.exposure, figures["exposure"])
        for fname in ("avg_days_to_pay", "avg_days_late", "on_time_share", "dso", "invoices_paid_count",
                      "dunning_steps", "disputes", "sales_12m"):
            self.assertEqual(row[fname], behaviour[fname], fname)
        self.assertEqual((row.avg_days_to_pay, row.on_time_share, row.invoices_paid_count), (24.0, 100.0, 1))
        self.assertEqual(row.highest_exposure, 500.0)  # today's exposure counts
        late = self.snapshot(self.late)
        self.assertEqual((late.overdue_amount, late.oldest_overdue_days, late.exposure), (800.0, 70, 800.0))
        # A change of the day is written over the day's row, not added.
        self.make_invoice(self.good, 150.0)
        self.Snapshot._snapshot(self.company, partners=self.good)
        self.assertEqual(self.snapshot(self.good).exposure, 650.0)
        self.assertEqual(self.Snapshot.search_count([("partner_id", "=", self.good.id)]), 1)
        # The customer's last-snapshot fields follow.
        self.assertEqual(self.good.credit_snapshot_exposure, 650.0)
        self.assertEqual(self.good.credit_snapshot_date, TODAY)
        self.assertEqual(self.late.credit_snapshot_overdue, 800.0)
        self.assertEqual(self.late.credit_snapshot_overdue_days, 70)

    def test_highest_exposure_of_the_year(self):
        self.Snapshot._snapshot(self.company, date=date(2026, 6, 1), partners=self.late)
        self.Snapshot._snapshot(self.company, date=date(2025, 6, 1), partners=self.late)  # over a year ago
        self.env.cr.execute(
            "UPDATE credit_partner_snapshot SET exposure = 2500 WHERE date = '2026-06-01';"
            "UPDATE credit_partner_snapshot SET exposure = 9000 WHERE date = '2025-06-01'")
        self.Snapshot._snapshot(self.company, partners=self.late)
        self.assertEqual(self.snapshot(self.late).highest_exposure, 2500.0)
        self.assertEqual(self.late.credit_highest_exposure, 2500.0)

    def test_worklist_filters_and_sort(self):
        self.Snapshot._snapshot(self.company)
        Partner = self.env["res.partner"].with_company(self.company)
        mine = [("id", "in", (self.late | self.good | self.customer).ids)]
        self.assertEqual(Partner.search(mine + [("credit_over_limit", "=", True)]), self.late)
        self.assertEqual(Partner.search(mine + [("credit_over_limit", "=", False)]), self.good | self.customer)
        self.assertEqual(Partner.search(mine + [("credit_snapshot_overdue_days", ">", 60)]), self.late)
        self.assertEqual(Partner.search(mine, order="credit_snapshot_exposure desc, id").ids,
                         [self.late.id, self.good.id, self.customer.id])
        scores = {p: p.credit_score for p in self.late | self.good}
        self.assertLess(scores[self.late], scores[self.good])
        below = Partner.search(mine + [("credit_snapshot_date", "!=", False),
                                       ("credit_score", "<", scores[self.good])])
        self.assertIn(self.late, below)
        self.assertNotIn(self.good, below)
        # The filters of the Credit › Customers search view run.
        view = self.env.ref("credit_control.res_partner_view_search_credit")
        for name in ("credit_over_limit", "credit_overdue_60", "credit_score_below_50"):
            self.assertIn(f'name="{name}"', view.arch)

    def test_cron_resumes_and_prunes(self):
        self.Snapshot._snapshot(self.company, date=date(2024, 5, 31), partners=self.good)  # 25 months ago
        self.Snapshot._snapshot(self.company, date=date(2024, 7, 31), partners=self.good)  # 23 months ago
        cron = self.env.ref("credit_control.ir_cron_credit_snapshot")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
            cron.method_direct_trigger()
        dates = self.Snapshot.search([("partner_id", "=", self.good.id)]).mapped("date")
        self.assertEqual(dates, [TODAY, date(2024, 7, 31)])
        self.assertTrue(self.snapshot(self.late))
        # Retention 0 keeps everything; the setting has a business range.
        self.company.credit_snapshot_retention_months = 0
        self.Snapshot._prune()
        self.assertEqual(len(self.Snapshot.search([("partner_id", "=", self.good.id)])), 2)
        with self.assertRaisesRegex(ValidationError, "between"):
            self.company.credit_snapshot_retention_months = 100000

    def test_users_only_read(self):
        self.Snapshot._snapshot(self.company, partners=self.good)
        row = self.snapshot(self.good).with_user(self.credit_user)
        self.assertEqual(row.exposure, 500.0)
        with self.assertRaises(UserError):
            row.sudo(False).write({"exposure": 1.0})
        # Nor the customer's last-snapshot fields, whatever the user's rights on customers.
        for user in (self.credit_manager, self.salesman):
            with self.assertRaises(AccessError):
                self.good.with_user(user).write({"credit_score": 100})
        with self.assertRaises(AccessError):
            self.good.with_user(self.salesman).write({"credit_revenue": 1e9})
        controller = self.make_user("cc_controller", "credit_control.group_credit_user,base.group_partner_manager")
        self.good.with_user(controller).write({"credit_revenue": 1e6, "credit_financials_date": TODAY})
        self.assertEqual(self.good.credit_revenue, 1e6)
        with self.assertRaises(UserError):
            self.env["credit.partner.snapshot"].with_user(self.credit_manager).create(
                {"partner_id": self.good.id, "company_id": self.company.id, "date": TODAY})

    def test_trend_and_score_now(self):
        self.Snapshot._snapshot(self.company, date=date(2026, 6, 1), partners=self.good)
        self.good.with_user(self.credit_user).action_credit_snapshot_now()
        self.assertEqual(self.good.credit_snapshot_count, 2)
        action = self.good.with_user(self.credit_user).action_credit_trend()
        self.assertEqual(action["res_model"], "credit.partner.snapshot")
        self.assertEqual(action["views"][0][1], "graph")
        trend = self.Snapshot.with_user(self.credit_user).search(action["domain"], order="date")
        self.assertEqual(trend.mapped("date"), [date(2026, 6, 1), TODAY])
        with self.assertRaises(AccessError):
            self.good.with_user(self.salesman).action_credit_snapshot_now()

    def test_query_count_does_not_grow_with_customers(self):
        def count(partners):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.Snapshot._snapshot(self.company, partners=partners)
            return self.env.cr.sql_log_count - before

        many = self.env["res.partner"]
        for i in range(8):
            partner = self.make_customer(f"Bulk {i}", limit=1000.0 + i)
            self.make_invoice(partner, 100.0 + i, invoice_date=date(2026, 6, 1), due_date=date(2026, 6, 10))
            many |= partner
        count(self.good)  # warm the registry caches
        self.assertEqual(count(self.good | self.late), count(self.good | self.late | many))
        self.assertEqual(len(self.Snapshot.search([("partner_id", "in", many.ids)])), 8)
