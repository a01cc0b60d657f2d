"""Settings out of their business range get a clear error before anything is written, and the
dates derived from settings already stored out of range (before these checks) never overflow."""
import re
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.credit_control.models.credit_value_bounds import shift_date

from .common import CreditCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestValueBounds(CreditCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.procedure = cls.make_procedure("Bounds", [{"days_overdue": 10}])
        cls.level = cls.procedure.level_ids
        cls.policy = cls.make_policy()
        cls.buyer = cls.make_customer("Bounds Buyer")
        cls.cover = cls.make_cover(cls.policy, cls.buyer, 1000.0)

    def assertRefused(self, records, vals, fragment):
        with self.assertRaisesRegex(ValidationError, fragment), self.env.cr.savepoint():
            records.write(vals)

    def assertBoundaries(self, records, fname, low, high, step=1):
        """``low`` and ``high`` are accepted, one ``step`` beyond either is refused."""
        label = re.escape(records._fields[fname]._description_string(self.env))
        for value in (low, high):
            records.write({fname: value})
            self.assertEqual(records[fname], value)
        for value in (low - step, high + step):
            self.assertRefused(records, {fname: value}, f"{label} must be between")

    def test_grade_level_policy_cover_dispute_bounds(self):
        cases = [
            (self.grade_b, "overdue_tolerance_days", 0, 3650, 1),
            (self.grade_b, "review_interval_months", 0, 120, 1),
            (self.grade_b, "min_score", 0, 100, 1),
            (self.grade_b, "sequence", 0, 1_000_000, 1),
            (self.grade_b, "color", 0, 11, 1),
            (self.grade_b, "overdue_tolerance_amount", 0.0, 1e12, 0.01),
            (self.level, "days_overdue", -365, 3650, 1),
            (self.level, "min_days_since_previous", 0, 3650, 1),
            (self.level, "fee_percent", 0.0, 100.0, 0.01),
            (self.level, "fee_fixed", 0.0, 1e12, 0.01),
            (self.policy, "max_extension_days", 0, 3650, 1),
            (self.policy, "notification_days", 0, 3650, 1),
            (self.policy, "notification_alert_days", 0, 3650, 1),
            (self.policy, "claim_days", 0, 3650, 1),
            (self.policy, "premium_rate", 0.0, 100.0, 0.01),
            (self.policy, "coverage_pct", 0.01, 100.0, 0.01),
            (self.cover, "requested_amount", 0.0, 1e12, 0.01),
        ]
        for records, fname, low, high, step in cases:
            with self.subTest(model=records._name, field=fname):
                self.assertBoundaries(records, fname, low, high, step)
        self.grade_b.max_credit_limit = 1e12
        self.assertRefused(
            self.grade_b, {"max_credit_limit": 1e13},
            r"Maximum Credit Limit must be between 0.00 and 1,000,000,000,000.00 \(got 10000000000000.0\)\.")
        # Values PostgreSQL could not even store, or Python not compute with: the same clear error.
        for value in (10**10, 10**30, "10000000000"):
            self.assertRefused(self.grade_b, {"review_interval_months": value}, "Review Interval")
        for value in (1e308, float("inf"), float("nan")):
            self.assertRefused(self.grade_b, {"overdue_tolerance_amount": value}, "Overdue Tolerance")
        with self.assertRaisesRegex(ValidationError, "Days Overdue must be between -365 and 3,650"):
            self.procedure.write({"level_ids": [Command.create({"name": "Far", "days_overdue": 10**9})]})
        with self.assertRaisesRegex(ValidationError, "Maximum Extension"):
            self.make_policy(max_extension_days=10**9)
        # Defaults sent in the context are checked like values.
        with self.assertRaisesRegex(ValidationError, "Review Interval"):
            self.env["credit.grade"].with_context(default_review_interval_months=10**9).create(
                {"code": "X", "name": "X"})
        invoice = self.make_invoice(self.buyer, 100.0)
        with self.assertRaisesRegex(ValidationError, "Disputed Amount must be between"):
            self.env["credit.dispute"].create({"move_id": invoice.id, "amount": 1e300})

    def test_dates(self):
        self.policy.date_end = date(2999, 12, 31)
        self.assertRefused(self.policy, {"date_end": date(3000, 1, 1)}, "End must be between")
        self.assertRefused(self.policy, {"date_start": "1899-12-31"}, "Start must be between")
        self.assertRefused(self.policy, {"date_start": False}, "Start is required")
        self.assertRefused(self.cover, {"expiry_date": "9999-12-31"}, "Expiry Date must be between")
        self.assertRefused(self.customer, {"credit_review_date": "9999-12-31"}, "Next Credit Review")
        for model in ("credit.aging.wizard", "credit.dunning.run", "credit.insurance.report.wizard"):
            with self.subTest(model=model), self.assertRaisesRegex(ValidationError, "between"):
                self.env[model].create({"date": "0001-01-01"})
        with self.assertRaisesRegex(ValidationError, "required"):
            self.env["credit.insurance.report.wizard"].create({"date": False})
        with self.assertRaisesRegex(ValidationError, "at most 3650 days"):
            self.env["credit.aging.wizard"].create({"bucket_boundaries": "30,60,100000"})

    def test_credit_limit(self):
        partner = self.make_customer("Limit Co")
        partner.credit_limit = 1e12
        self.assertEqual(partner.credit_limit, 1e12)
        self.assertEqual(partner.credit_available, 1e12)
        for value in (-1.0, 1e12 + 1, 1e308, float("inf")):
            self.assertRefused(partner, {"credit_limit": value}, "Credit Limit must be between")
        with self.assertRaisesRegex(ValidationError, "Credit Limit must be between"):
            self.env["res.partner"].create({"name": "Huge", "credit_limit": 1e308})
        self.assertEqual(partner.credit_limit, 1e12)

    def test_record_fields(self):
        """Many2one fields given 1.5, True, 0, a negative or a missing id: the ORM would keep
        the value out of its cache but store it (or, company-dependent, put it in JSON)."""
        partner = self.make_customer("Record Co")
        missing = 10**8
        for fname in ("credit_grade_id", "credit_dunning_procedure_id"):
            for value in (1.5, True, -3, "2"):
                with self.subTest(field=fname, value=value):
                    self.assertRefused(partner, {fname: value}, "must be a record of")
            self.assertRefused(partner, {fname: missing}, "does not exist")
        partner.credit_grade_id = self.grade_b.id
        partner.credit_grade_id = False
        self.assertFalse(partner.credit_grade_id)
        for records, fname in ((self.grade_b, "dunning_procedure_id"), (self.level, "procedure_id"),
                               (self.cover, "partner_id"), (self.policy, "insurer_id"),
                               (self.company, "credit_default_grade_id")):
            with self.subTest(model=records._name, field=fname):
                self.assertRefused(records, {fname: True}, "must be a record of")
        # The KeyError: False of a cover created with a malformed buyer.
        self.policy.cap_credit_limit = True
        with self.assertRaisesRegex(ValidationError, "Buyer must be a record of"):
            self.env["credit.insurance.limit"].create({
                "policy_id": self.policy.id, "partner_id": 1.5, "state": "granted",
                "granted_amount": 10.0, "granted_date": "2026-06-01"})
        contact = self.env["res.partner"].create({"name": "AP clerk", "parent_id": self.buyer.id})
        with self.assertRaisesRegex(ValidationError, "on its company Bounds Buyer"):
            self.make_cover(self.policy, contact, 10.0)

    def test_dates_derived_from_stored_out_of_range_settings(self):
        """Settings stored before these checks existed (here written in SQL) do not break the
        computations that derive dates from them: a deadline that far is the calendar's last day."""
        self.assertEqual(shift_date(date(2026, 1, 31), months=1), date(2026, 2, 28))
        self.assertEqual(shift_date(date(2026, 1, 1), days=10**9), date.max)
        self.assertEqual(shift_date(date(2026, 1, 1), months=10**9), date.max)
        self.assertEqual(shift_date(date(2026, 1, 1), days=-10**9), date.min)
        cr = self.env.cr
        cr.execute("UPDATE credit_grade SET review_interval_months = %s WHERE id = %s", [10**9, self.grade_b.id])
        cr.execute("UPDATE credit_dunning_level SET days_overdue = %s WHERE id = %s", [10**9, self.level.id])
        cr.execute("UPDATE credit_insurance_policy SET max_extension_days = %s, notification_days = %s"
                   " WHERE id = %s", [10**9, 10**9, self.policy.id])
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        self.assertFalse(self.grade_b._next_review_date())  # no review before the year 3000
        # Confirming an order of a customer of that grade works (it failed with the overflow).
        order = self.make_order(self.customer, 100.0)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        partner = self.make_customer("Review Co")
        partner.credit_grade_id = self.grade_b
        self.assertFalse(partner.credit_review_date)
        # The invoice's next dunning and insurance deadlines.
        self.company.credit_dunning_procedure_id = self.procedure
        invoice = self.make_invoice(self.buyer, 100.0, invoice_date=date(2026, 5, 1), due_date=date(2026, 5, 31))
        self.assertEqual(invoice.credit_dunning_next_level_id, self.level)
        self.assertEqual(invoice.credit_dunning_next_date, date.max)
        self.assertEqual(invoice.credit_insurance_max_extension_date, date.max)
        self.assertEqual(invoice.credit_insurance_notification_deadline, date.max)
        # The daily deadline alert and the insured-exposure report (compute and XLSX).
        with self.enter_registry_test_mode():  # the job commits its progress
            self.env.ref("credit_control.ir_cron_credit_insurance_alerts").method_direct_trigger()
        wizard = self.env["credit.insurance.report.wizard"].create({"policy_ids": [self.policy.id]})
        wizard.action_compute()
        self.assertEqual(wizard.line_ids.filtered(lambda line: line.partner_id == self.buyer).late_count, 0)
        self.assertTrue(wizard.action_export_xlsx()["url"])
