from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestOverview(CreditCommon):
    """The overview's figures on a crafted company, each the same number as the list it opens."""

    def test_figures(self):
        self.make_invoice(self.customer, 600.0, invoice_date=date(2026, 5, 1), due_date=date(2026, 5, 31))
        self.make_invoice(self.customer, 400.0, invoice_date=date(2026, 6, 20), due_date=date(2026, 7, 20))
        held = self.make_customer("Held Ltd", limit=5000.0)
        held.write({"credit_hold": True, "credit_hold_reason": "Bankruptcy rumours",
                    "credit_review_date": date(2026, 6, 1)})
        self.make_invoice(held, 1200.0, invoice_date=date(2026, 1, 10), due_date=date(2026, 2, 9))
        blocked = self.make_order(self.customer, 500.0)  # over the limit and overdue
        fresh = self.make_customer("Fresh Co", limit=10000.0)
        self.make_order(fresh, 100.0)  # fits: not blocked
        overview = self.env["credit.overview"].with_company(self.company).create({})
        self.assertEqual(overview.company_id, self.company)
        self.assertEqual(overview.customer_count, 3)
        self.assertEqual(overview.exposure_total, 2200.0)
        self.assertEqual(overview.receivable_total, 2200.0)
        self.assertEqual(overview.overdue_total, 1800.0)
        self.assertAlmostEqual(overview.overdue_share, 100.0 * 1800 / 2200)
        # DSO: 2,200 receivable over the 1,000 invoiced since 2026-04-01, times 90 days.
        self.assertAlmostEqual(overview.dso_days, 198.0)
        self.assertEqual(overview.blocked_count, 1)
        self.assertEqual(self.env["sale.order"]._credit_blocked_quotations(self.company), blocked)
        self.assertEqual(overview.hold_count, 1)
        self.assertEqual(overview.review_due_count, 1)
        self.assertEqual(overview.release_pending_count, 0)
        self.assertEqual((overview.warning_open_count, overview.warning_new_count), (0, 0))
        Warning = self.env["credit.warning"]
        new = Warning.create({"partner_id": held.id, "signal_type": "manual_lawsuit", "severity": "high"})
        acknowledged = Warning.create({"partner_id": self.customer.id, "signal_type": "manual_news"})
        acknowledged.action_acknowledge()
        Warning.create({"partner_id": fresh.id, "signal_type": "manual_other",
                        "close_reason": "Rumour denied"}).action_close()
        overview = self.env["credit.overview"].with_company(self.company).create({})
        self.assertEqual((overview.warning_open_count, overview.warning_new_count), (2, 1))
        self.assertEqual(Warning.search(overview.action_open_warnings()["domain"]), new | acknowledged)
        chart = overview.top_exposure_chart
        self.assertLess(chart.index("Held Ltd"), chart.index("Credit Customer"))  # largest first
        for label in ("Current", "1-30", "&gt; 120"):
            self.assertIn(label, overview.aging_chart)
        # Each figure opens its list.
        self.assertEqual(overview.action_open_blocked()["context"], "{'search_default_credit_blocked': 1}")
        releases = overview.action_open_releases()
        self.assertEqual(releases["domain"], [("state", "=", "pending"), ("company_id", "=", self.company.id)])
        overdue = self.env["account.move"].search(overview.action_open_overdue()["domain"])
        self.assertEqual(sum(overdue.mapped("amount_residual")), overview.overdue_total)

    def test_insured_share_is_the_report_total(self):
        """The insured figure is the insured-exposure report's total of the company's policies
        (in company currency), without computing the report: named and discretionary covers,
        a buyer not under credit control, an excluded buyer and an exposure beyond the cover."""
        self.make_invoice(self.customer, 3000.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        named = self.make_customer("Named Buyer", limit=9000.0)
        self.make_invoice(named, 5000.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        uncontrolled = self.make_customer("Uncontrolled Buyer")  # no limit, grade or hold
        self.make_invoice(uncontrolled, 400.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        excluded = self.make_customer("Excluded Buyer", limit=9000.0, credit_not_insurable=True)
        self.make_invoice(excluded, 700.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        policy = self.make_policy()
        self.make_cover(policy, named, 4000.0)
        overview = self.env["credit.overview"].with_company(self.company).create({})
        # 90 % of: min(3000, 1000 discretionary) + min(5000, 4000 named) + 400 + 0 excluded.
        self.assertEqual(overview.insured_total, 0.9 * (1000.0 + 4000.0 + 400.0))
        self.assertEqual(overview.exposure_total, 3000.0 + 5000.0 + 700.0)  # controlled customers only
        report = self.env["credit.insurance.report.wizard"].create({"policy_ids": policy.ids})
        _rows, summary = report._build_rows()
        self.assertEqual(overview.insured_total, summary[0]["insured"])
        self.assertAlmostEqual(overview.insured_share, 100.0 * 4860.0 / 8700.0)

    def test_job_overview_copied_on_opening(self):
        """The job computes the company's overview once for its credit users: opening the app
        copies it (its figures and time, a constant handful of queries), Refresh computes the
        figures of now, and a job overview older than 15 minutes is not copied."""
        self.make_invoice(self.customer, 600.0, invoice_date=date(2026, 5, 1), due_date=date(2026, 5, 31))
        with self.enter_registry_test_mode():
            self.env.ref("credit_control.ir_cron_credit_overview_precompute").method_direct_trigger()
        shared = self.env["credit.overview"].sudo().search(
            [("shared", "=", True), ("company_id", "=", self.company.id), ("lang", "=", "en_US")])
        self.assertEqual((len(shared), shared.exposure_total, shared.overdue_total), (1, 600.0, 600.0))
        self.make_invoice(self.customer, 400.0, invoice_date=date(2026, 6, 20), due_date=date(2026, 7, 20))
        Overview = self.env["credit.overview"].with_user(self.credit_user).with_company(self.company)
        # A user's own "shared" overview with figures of their making is never copied by others.
        Overview.with_user(self.credit_manager).create({"shared": True, "exposure_total": 1.0, "overdue_total": 1.0})
        with freeze_time("2026-06-30 00:05:00"):
            self.env.invalidate_all()
            with self.assertQueryCount(15):  # a copy: the same count on any ledger
                opened = Overview.browse(Overview.action_open()["res_id"])
                opened.read(["exposure_total", "aging_chart"])
            self.assertNotEqual(opened, shared)
            self.assertEqual((opened.exposure_total, opened.overdue_total, opened.computed_at),
                             (600.0, 600.0, shared.computed_at))
            self.assertEqual(opened.aging_chart, shared.aging_chart)
            self.assertEqual(opened.create_uid, self.credit_user)
            refreshed = Overview.browse(opened.action_refresh()["res_id"])
            self.assertEqual(refreshed.exposure_total, 1000.0)
        with freeze_time("2026-06-30 00:16:00"):
            later = Overview.with_user(self.credit_manager).browse(
                Overview.with_user(self.credit_manager).action_open()["res_id"])
            self.assertEqual(later.exposure_total, 1000.0)

    def test_shown_again_while_fresh(self):
        """Reopened within ten minutes, the same overview is shown (not computed again);
        later, or on Refresh, a new one with the figures of now."""
        self.make_invoice(self.customer, 600.0, invoice_date=date(2026, 5, 1), due_date=date(2026, 5, 31))
        Overview = self.env["credit.overview"].with_company(self.company)
        first = Overview.browse(Overview.action_open()["res_id"])
        self.assertEqual(first.exposure_total, 600.0)
        self.make_invoice(self.customer, 400.0, invoice_date=date(2026, 6, 20), due_date=date(2026, 7, 20))
        with freeze_time("2026-06-30 00:09:00"):
            self.assertEqual(Overview.action_open()["res_id"], first.id)
            refreshed = Overview.browse(first.action_refresh()["res_id"])
        self.assertNotEqual(refreshed, first)
        self.assertEqual(refreshed.exposure_total, 1000.0)
        with freeze_time("2026-06-30 00:20:00"):
            later = Overview.browse(Overview.action_open()["res_id"])
        self.assertNotIn(later, first | refreshed)
        self.assertEqual(later.exposure_total, 1000.0)
        # Another user gets an overview of their own.
        other = Overview.with_user(self.credit_manager).action_open()["res_id"]
        self.assertNotIn(other, (first | refreshed | later).ids)
        # The same user in another language: charts in that language, not the English ones again.
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["credit_control"], ["zh_CN"], overwrite=True)
        with freeze_time("2026-06-30 00:21:00"):
            chinese = Overview.browse(Overview.with_context(lang="zh_CN").action_open()["res_id"])
            self.assertEqual(Overview.action_open()["res_id"], later.id)
        self.assertNotEqual(chinese, later)
        self.assertEqual(chinese.lang, "zh_CN")
        self.assertIn("未逾期", chinese.aging_chart)
        self.assertNotIn("未逾期", later.aging_chart)
