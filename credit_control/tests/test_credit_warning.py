import base64
from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
class TestCreditWarning(CreditCommon):
    """Warnings: each signal on crafted histories, episodes (rerun adds nothing, cleared and
    back is new), automatic actions and their audit rows, the state guard and the rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["credit.warning.rule"]
        cls.engine = cls.env["credit.monitoring.engine"]

    def rule(self, signal, threshold=0.0, **values):
        return self.Rule.create({"name": f"Rule {signal} {threshold}", "company_id": self.company.id,
                                 "signal_type": signal, "threshold": threshold,
                                 "activity_target": "none", **values})

    def detect(self, day):
        with freeze_time(day):
            return self.engine._detect(self.company, date.fromisoformat(day))

    def warnings(self, partner=None, rule=None):
        domain = [("company_id", "=", self.company.id)]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        if rule:
            domain.append(("rule_id", "=", rule.id))
        return self.env["credit.warning"].search(domain, order="id")

    def audit(self, partner, event):
        return self.env["credit.audit.log"].search(
            [("partner_id", "=", partner.id), ("event_type", "=", event)], order="id")

    # ------------------------------------------------------------------ signals
    def test_exposure_episode_rerun_clear_and_back(self):
        rule = self.rule("exposure", 80.0, severity="medium", activity_target="manager")
        self.make_invoice(self.customer, 900.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        new = self.detect("2026-06-02")
        self.assertEqual(len(new), 1)
        self.assertRecordValues(new, [{
            "partner_id": self.customer.id, "signal_type": "exposure", "severity": "medium", "state": "new",
            "measured_value": 90.0, "threshold_value": 80.0, "value_unit": "percent", "episode_open": True,
            "date": date(2026, 6, 2)}])
        self.assertIn("90.0 %", new.details)
        self.assertEqual(new.activity_ids.user_id, self.company._credit_managers())
        self.assertFalse(self.detect("2026-06-02"))  # same-day rerun
        self.assertFalse(self.detect("2026-06-03"))  # the condition still holds: same episode
        self.make_invoice(self.customer, 500.0, move_type="out_refund", invoice_date=date(2026, 6, 4))
        self.assertFalse(self.detect("2026-06-04"))
        self.assertRecordValues(new, [{"episode_open": False, "cleared_date": date(2026, 6, 4)}])
        self.make_invoice(self.customer, 600.0, invoice_date=date(2026, 6, 5), due_date=date(2026, 7, 5))
        again = self.detect("2026-06-05")
        self.assertEqual(len(again), 1)
        self.assertEqual(again.measured_value, 100.0)
        self.assertEqual(self.warnings(self.customer, rule), new | again)

    def test_overdue_beyond_grade_tolerance_puts_on_hold(self):
        # grade TB tolerates 15 days and 100.00.
        rule = self.rule("overdue", 0.0, severity="high", action_hold=True)
        self.make_invoice(self.customer, 500.0, invoice_date=date(2026, 5, 1), due_date=date(2026, 6, 1))
        small = self.make_customer("Small Late", limit=1000.0, grade=self.grade_b)
        self.make_invoice(small, 80.0, invoice_date=date(2026, 5, 1), due_date=date(2026, 6, 1))
        ungraded = self.make_customer("Ungraded Late", limit=1000.0)
        self.make_invoice(ungraded, 800.0, invoice_date=date(2026, 5, 1), due_date=date(2026, 6, 1))
        self.assertFalse(self.detect("2026-06-16"))  # 15 days: tolerated
        warning = self.detect("2026-06-17")
        self.assertRecordValues(warning, [{"partner_id": self.customer.id, "measured_value": 16.0,
                                           "threshold_value": 15.0, "value_unit": "days"}])
        profile = self.customer.with_company(self.company)
        self.assertTrue(profile.credit_hold)
        self.assertIn(warning.name, profile.credit_hold_reason)
        holds = self.audit(self.customer, "hold")  # the flag and its reason
        self.assertEqual(set(holds.mapped(lambda h: (h.res_model, h.res_id))), {("credit.warning", warning.id)})
        self.assertIn(warning.name, holds[0].reason)
        self.assertEqual(warning.action_note, "Customer put on credit hold.")
        self.assertIn("credit hold", warning.message_ids[0].body)
        # A stricter rule: 10 days beyond the tolerance.
        strict = self.rule("overdue", 10.0)
        self.assertFalse(self.detect("2026-06-26").filtered(lambda w: w.rule_id == strict))
        self.assertEqual(self.detect("2026-06-27").rule_id, strict)
        self.assertEqual(len(self.warnings(rule=rule)), 1)

    def test_limit_cut_to_percentage_and_to_cover(self):
        self.rule("exposure", 50.0, limit_action="percent", limit_pct=40.0)
        self.make_invoice(self.customer, 700.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        no_limit = self.make_customer("No Limit")
        self.make_invoice(no_limit, 700.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        warning = self.detect("2026-06-02")
        self.assertEqual(warning.partner_id, self.customer)  # no limit: no exposure signal at all
        self.assertEqual(self.customer.with_company(self.company).credit_limit, 400.0)
        [cut] = self.audit(self.customer, "limit")[-1:]
        self.assertEqual((cut.old_value, cut.new_value), ("1000.0", "400.0"))
        self.assertEqual((cut.res_model, cut.res_id), ("credit.warning", warning.id))
        self.assertIn(warning.name, cut.reason)
        self.assertIn("400.00", warning.action_note)

        covered = self.make_customer("Covered", limit=3000.0, grade=self.grade_b)
        policy = self.make_policy()
        self.make_cover(policy, covered, 1200.0, date="2026-05-01")
        self.rule("cover_reduced", window_days=30, limit_action="cover")
        self.make_cover(policy, covered, 800.0, state="reduced", date="2026-06-10")
        warning = self.detect("2026-06-11")
        self.assertRecordValues(warning, [{"partner_id": covered.id, "signal_type": "cover_reduced",
                                           "measured_value": 800.0, "threshold_value": 1200.0}])
        self.assertEqual(covered.with_company(self.company).credit_limit, 800.0)
        self.assertEqual(self.audit(covered, "limit")[-1].res_id, warning.id)

    def test_bank_account_changes_and_frequent(self):
        once = self.rule("bank_change", 1, window_days=30)
        frequent = self.rule("bank_change", 3, window_days=90, severity="high")
        with freeze_time("2026-03-01 10:00"):
            account = self.env["res.partner.bank"].create({"acc_number": "CN001", "partner_id": self.customer.id})
        self.assertEqual(self.detect("2026-03-01").rule_id, once)
        with freeze_time("2026-03-10 10:00"):
            account.acc_number = "CN002"
            account.unlink()
        warning = self.detect("2026-03-10")
        self.assertRecordValues(warning, [{"rule_id": frequent.id, "measured_value": 3.0, "threshold_value": 3.0,
                                           "value_unit": "count"}])
        self.assertFalse(self.detect("2026-04-08"))  # last change 29 days ago: both hold
        self.assertFalse(self.detect("2026-04-10"))
        self.assertEqual(self.warnings(rule=once).mapped("episode_open"), [False])  # 31 days: cleared
        self.assertTrue(self.warnings(rule=frequent).episode_open)
        self.detect("2026-06-09")
        self.assertFalse(self.warnings(rule=frequent).episode_open)
        with freeze_time("2026-06-20 10:00"):
            self.env["res.partner.bank"].create({"acc_number": "CN003", "partner_id": self.customer.id})
        self.assertEqual(self.detect("2026-06-20").rule_id, once)
        self.assertEqual(len(self.warnings(rule=once)), 2)

    def test_identity_change(self):
        rule = self.rule("identity_change", 1, window_days=30, activity_target="salesperson")
        self.customer.user_id = self.salesman
        with freeze_time("2026-06-01 09:00"):
            self.customer.write({"name": "Credit Customer Holdings", "company_registry": "HRB 1"})
        warning = self.detect("2026-06-01")
        self.assertRecordValues(warning, [{"rule_id": rule.id, "measured_value": 2.0,
                                           "user_id": self.salesman.id}])
        self.assertEqual(warning.activity_ids.user_id, self.salesman)

    def test_insurer_cover_signals(self):
        policy = self.make_policy()
        reduced, withdrawn, expiring, renewed = (
            self.make_customer(name, limit=500.0) for name in ("Reduced", "Withdrawn", "Expiring", "Renewed"))
        for partner in (reduced, withdrawn):
            self.make_cover(policy, partner, 5000.0, date="2026-02-01")
        self.make_cover(policy, reduced, 2000.0, state="reduced", date="2026-06-20")
        self.make_cover(policy, withdrawn, 0.0, state="withdrawn", date="2026-06-25")
        self.make_cover(policy, expiring, 3000.0, date="2026-01-15", expiry_date="2026-07-15")
        self.make_cover(policy, renewed, 3000.0, date="2026-01-15", expiry_date="2026-07-10")
        self.make_cover(policy, renewed, 3000.0, date="2026-06-01", expiry_date="2027-06-30")
        cut = self.rule("cover_reduced", window_days=30, severity="high")
        soon = self.rule("cover_expiring", 30)
        new = self.detect("2026-06-30")
        by_partner = {(w.partner_id, w.rule_id): w for w in new}
        self.assertEqual(set(by_partner), {(reduced, cut), (withdrawn, cut), (expiring, soon)})
        self.assertEqual(by_partner[(reduced, cut)].measured_value, 2000.0)
        self.assertEqual(by_partner[(withdrawn, cut)].measured_value, 0.0)
        self.assertEqual(by_partner[(withdrawn, cut)].threshold_value, 5000.0)
        self.assertEqual(by_partner[(expiring, soon)].measured_value, 15.0)
        self.assertFalse(self.detect("2026-07-01"))
        # The decision leaves the 30-day window: the episode ends.
        self.detect("2026-07-21")
        self.assertFalse(by_partner[(reduced, cut)].episode_open)
        self.assertTrue(by_partner[(withdrawn, cut)].episode_open)

    def test_dunning_legal_level(self):
        self.rule("dunning_legal", severity="high")
        self.customer.with_company(self.company).credit_in_collection = True
        warning = self.detect("2026-06-01")
        self.assertEqual(warning.partner_id, self.customer)
        self.customer.with_company(self.company).credit_in_collection = False
        self.detect("2026-06-02")
        self.assertFalse(warning.episode_open)

    def test_concentration(self):
        rule = self.rule("concentration", 50.0)
        big, mid = self.make_customer("Big"), self.make_customer("Mid")
        for partner, amount in ((big, 700.25), (mid, 199.75), (self.customer, 100.0)):
            self.make_invoice(partner, amount, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        warning = self.detect("2026-06-02")
        self.assertRecordValues(warning, [{"partner_id": big.id, "rule_id": rule.id, "measured_value": 70.03,
                                           "threshold_value": 50.0}])
        exposures, total = self.engine._concentration(self.company, date(2026, 6, 2))
        self.assertEqual(total, 1000.0)
        self.assertEqual(exposures, {big.id: 700.25, mid.id: 199.75, self.customer.id: 100.0})

    # ------------------------------------------------------------------ users
    def test_manual_signal_with_note_and_attachment(self):
        self.rule("manual_lawsuit", severity="high", action_hold=True, activity_target="manager")
        attachment = self.env["ir.attachment"].with_user(self.credit_user).create(
            {"name": "court.pdf", "datas": base64.b64encode(b"%PDF")})
        warning = self.env["credit.warning"].with_user(self.credit_user).create({
            "partner_id": self.customer.id, "signal_type": "manual_lawsuit",
            "note": "<p>Supplier sued them for 2 million</p>", "attachment_ids": [attachment.id]})
        self.assertRecordValues(warning, [{"severity": "high", "state": "new", "episode_open": False}])
        self.assertTrue(self.customer.with_company(self.company).credit_hold)
        self.assertEqual(set(self.audit(self.customer, "hold").mapped("res_id")), {warning.id})
        self.assertEqual(warning.activity_ids.user_id, self.company._credit_managers())
        self.assertEqual(warning.attachment_ids, attachment)
        self.assertTrue(self.customer.with_company(self.company).credit_warning_alert)
        self.assertEqual(self.customer.with_company(self.company).credit_warning_count, 1)

        warning.with_user(self.credit_user).action_acknowledge()
        self.assertRecordValues(warning, [{"state": "acknowledged", "acknowledged_by_id": self.credit_user.id}])
        self.assertFalse(warning.activity_ids)
        self.customer.invalidate_recordset(["credit_warning_alert", "credit_warning_count"])
        self.assertFalse(self.customer.with_company(self.company).credit_warning_alert)
        with self.assertRaises(UserError):
            warning.with_user(self.credit_user).action_close()  # no reason
        warning.with_user(self.credit_user).close_reason = "Settled out of court"
        warning.with_user(self.credit_user).action_close()
        self.assertRecordValues(warning, [{"state": "closed", "closed_by_id": self.credit_user.id}])
        self.customer.invalidate_recordset(["credit_warning_count"])
        self.assertEqual(self.customer.with_company(self.company).credit_warning_count, 0)
        with self.assertRaises(UserError):
            warning.with_user(self.credit_user).note = "changed after closing"

    def test_state_guard_and_rights(self):
        Warning = self.env["credit.warning"]
        for vals in ({"signal_type": "exposure"},
                     {"signal_type": "manual_news", "state": "closed"},
                     {"signal_type": "manual_news", "episode_open": True},
                     {"signal_type": "manual_news", "measured_value": 5.0}):
            with self.assertRaises(AccessError):
                Warning.with_user(self.credit_user).create({"partner_id": self.customer.id, **vals})
        warning = Warning.with_user(self.credit_user).create(
            {"partner_id": self.customer.id, "signal_type": "manual_news"})
        for vals in ({"state": "closed"}, {"closed_by_id": self.credit_user.id},
                     {"partner_id": self.salesman.partner_id.id}, {"episode_open": True}):
            with self.assertRaises(AccessError):
                warning.with_user(self.credit_user).write(vals)
        with self.assertRaises(AccessError):
            warning.with_user(self.credit_user).severity = "low"  # a manager's call
        warning.with_user(self.credit_manager).severity = "low"
        with self.assertRaises(AccessError):
            Warning.with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            warning.with_user(self.credit_user).unlink()
        contact = self.env["res.partner"].create({"name": "Contact", "parent_id": self.customer.id})
        with self.assertRaises(UserError):
            Warning.with_user(self.credit_user).create({"partner_id": contact.id, "signal_type": "manual_news"})
        # Rules: users read, managers configure.
        rule = self.rule("exposure", 90.0)
        self.assertEqual(rule.with_user(self.credit_user).threshold, 90.0)
        with self.assertRaises(AccessError):
            rule.with_user(self.credit_user).threshold = 50.0
        with self.assertRaises(AccessError):
            self.Rule.with_user(self.credit_user).action_detect_now()
        rule.with_user(self.credit_manager).threshold = 50.0
        with self.assertRaises(ValidationError):
            rule.threshold = 5000.0
        with self.assertRaises(ValidationError):
            rule.write({"limit_action": "percent", "limit_pct": 0.0})

    def test_other_company_untouched(self):
        other = self.setup_other_company()["company"]
        self.rule("exposure", 10.0)
        self.make_invoice(self.customer, 900.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        with freeze_time("2026-06-02"):
            self.assertFalse(self.engine._detect(other, date(2026, 6, 2)))
        self.assertEqual(self.detect("2026-06-02").company_id, self.company)
        other_user = self.make_user("other_cc", "credit_control.group_credit_user", company=other)
        self.assertFalse(self.env["credit.warning"].with_user(other_user).search([]))

    def test_quotation_shows_open_warnings_as_information(self):
        self.rule("exposure", 80.0, severity="high")
        self.make_invoice(self.customer, 900.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        warning = self.detect("2026-06-02")
        order = self.make_order(self.customer, 10.0, user=self.salesman)
        self.assertEqual(order.with_user(self.salesman).credit_warning_info,
                         "Open credit warnings: Exposure close to or above the limit (High)")
        warning.close_reason = "Known, temporary"
        warning.action_close()
        order.invalidate_recordset(["credit_warning_info"])
        self.assertFalse(order.with_user(self.salesman).credit_warning_info)

    def test_manager_runs_detection_now(self):
        self.rule("exposure", 80.0)
        self.make_invoice(self.customer, 900.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        with freeze_time("2026-06-02"):
            action = self.Rule.with_user(self.credit_manager).action_detect_now()
            self.assertIn("1 new warnings", action["params"]["message"])
            action = self.Rule.with_user(self.credit_manager).action_detect_now()
            self.assertIn("0 new warnings", action["params"]["message"])

    def test_demo_warnings(self):
        if not self.env.ref("credit_control.demo_partner_xinghe", raise_if_not_found=False):
            self.skipTest("database installed without demo data")
        main = self.env.ref("base.main_company")
        warnings = self.env["credit.warning"].sudo().search([("company_id", "=", main.id)])
        found = {(w.partner_id, w.signal_type) for w in warnings}
        self.assertIn((self.env.ref("credit_control.demo_partner_yuanjing"), "bank_change"), found)
        self.assertIn((self.env.ref("credit_control.demo_partner_hengtong"), "cover_reduced"), found)
        self.assertIn((self.env.ref("credit_control.demo_partner_meida"), "manual_news"), found)
        self.assertIn((self.env.ref("credit_control.demo_partner_hengtong"), "payment_cycle"), found)
        xinghe = self.env.ref("credit_control.demo_partner_xinghe").sudo().with_company(main)
        self.assertRecordValues(xinghe, [{"credit_probation": True, "credit_limit": 20000.0,
                                          "credit_target_limit": 60000.0}])
        self.assertIn("0 of 3 invoices", xinghe.credit_probation_progress)

    # ------------------------------------------------------------------ job
    def test_query_count_independent_of_customers(self):
        """Detection costs the same queries for 3 or 9 new customers with signals, the
        warnings are inserted in one statement; a rerun is cheap."""
        self.rule("exposure", 50.0)
        self.rule("overdue", 0.0)
        self.rule("bank_change", 1, window_days=30)
        self.rule("identity_change", 1, window_days=30)
        self.rule("concentration", 100.0)  # evaluated, never found
        self.rule("dunning_legal")
        self.make_policy()
        self.rule("cover_reduced", window_days=30)
        self.rule("cover_expiring", 30)

        counts = []
        for size, tag in ((1, "warm-up"), (3, "small"), (9, "large")):
            for i in range(size):
                partner = self.make_customer(f"{tag} {i}", limit=1000.0, grade=self.grade_b)
                self.make_invoice(partner, 800.0, invoice_date=date(2026, 5, 1), due_date=date(2026, 5, 10))
            self.env.invalidate_all()
            new, queries = self.queries(self.detect, "2026-06-01")
            self.assertEqual(len(new), 2 * size)  # exposure and overdue for each new customer
            self.assertEqual(len([q for q in queries if 'INSERT INTO "credit_warning"' in q]), 1)
            counts.append(queries)
        self.assertEqual(len(counts[1]), len(counts[2]), "\n".join(q[:300] for q in counts[2]))
        self.env.invalidate_all()
        new, queries = self.queries(self.detect, "2026-06-01")
        self.assertFalse(new)
        self.assertLess(len(queries), 30)

    @freeze_time("2026-06-02")
    def test_cron_commits_each_company_once_a_day(self):
        self.rule("exposure", 80.0)
        self.make_invoice(self.customer, 900.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
        cron = self.env.ref("credit_control.ir_cron_credit_warning_detect")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
            cron.method_direct_trigger()
        self.assertEqual(len(self.warnings(self.customer)), 1)
        self.assertEqual(self.company.credit_monitoring_date, date(2026, 6, 2))
