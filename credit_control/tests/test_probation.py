from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
class TestProbation(CreditCommon):
    """Staged limits: start, step-up after N invoices paid within the tolerance, caps (grade,
    target, insurer cover), step-down on a late payment, apply or propose, rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grade_p = cls.env["credit.grade"].create({
            "code": "TP", "name": "Probation", "max_credit_limit": 10000.0, "overdue_tolerance_days": 5,
            "probation_start_limit": 1000.0, "probation_invoices": 2, "probation_months": 6,
            "probation_step_mode": "percent", "probation_step_pct": 50.0, "probation_step_down": True,
        })
        cls.newcomer = cls.make_customer("Newcomer", grade=cls.grade_p, user_id=cls.salesman.id)
        cls.engine = cls.env["credit.probation.engine"]

    def profile(self):
        return self.newcomer.with_company(self.company)

    def start(self, day="2026-01-05"):
        with freeze_time(day):
            self.newcomer.with_user(self.credit_manager).with_company(self.company).action_credit_start_probation()

    def paid_invoice(self, invoice_date, due, paid):
        invoice = self.make_invoice(self.newcomer, 100.0, invoice_date=date.fromisoformat(invoice_date),
                                    due_date=date.fromisoformat(due))
        self.pay(invoice, 100.0, date=date.fromisoformat(paid))
        return invoice

    def step(self, day):
        with freeze_time(day):
            return self.engine._run(self.company, date.fromisoformat(day))

    def limit_audit(self):
        return self.env["credit.audit.log"].search(
            [("partner_id", "=", self.newcomer.id), ("event_type", "=", "limit")], order="id")

    def test_step_up_and_down_applied(self):
        self.company.credit_probation_mode = "apply"
        self.start()
        self.assertRecordValues(self.profile(), [{"credit_probation": True, "credit_limit": 1000.0,
                                                  "credit_target_limit": 10000.0, "credit_probation_stage": 1}])
        self.paid_invoice("2026-01-10", "2026-02-09", "2026-02-14")  # 5 days: within the tolerance
        self.paid_invoice("2026-01-20", "2026-02-19", "2026-02-28")  # 9 days: late, but no step down yet
        # Late: no step below the start limit, but the count restarts.
        self.assertFalse(self.step("2026-03-01"))
        self.assertRecordValues(self.profile(), [{"credit_limit": 1000.0, "credit_probation_since": date(2026, 3, 1)}])

        self.paid_invoice("2026-03-02", "2026-03-10", "2026-03-12")
        self.paid_invoice("2026-03-05", "2026-03-20", "2026-03-20")
        with freeze_time("2026-03-25"):
            self.assertIn("2 of 2 invoices since 03/01/2026", self.profile().credit_probation_progress)
            self.assertEqual(self.profile().credit_probation_next_limit, 1500.0)
        self.assertEqual(list(self.step("2026-03-25").values()), [1500.0])
        self.assertRecordValues(self.profile(), [{"credit_limit": 1500.0, "credit_probation_stage": 2,
                                                  "credit_probation_since": date(2026, 3, 25)}])
        audit = self.limit_audit()[-1]
        self.assertEqual((audit.old_value, audit.new_value), ("1000.0", "1500.0"))
        self.assertIn("step up", audit.reason)
        message = self.newcomer.message_ids[0]
        self.assertIn("1,500.00", message.body)
        self.assertIn(self.salesman.partner_id, message.partner_ids)
        self.assertFalse(self.step("2026-03-25"))  # rerun: the count restarted
        self.assertFalse(self.step("2026-03-26"))

        # A late invoice after the step: one step back.
        self.make_invoice(self.newcomer, 100.0, invoice_date=date(2026, 3, 26), due_date=date(2026, 4, 5))
        self.assertFalse(self.step("2026-04-10"))  # 5 days: tolerated
        self.assertEqual(list(self.step("2026-04-11").values()), [1000.0])
        self.assertEqual(self.profile().credit_probation_stage, 1)
        self.assertIn("step down", self.limit_audit()[-1].reason)
        self.assertFalse(self.step("2026-04-12"))  # the same late invoice counts once

    def test_caps_target_grade_and_insurer(self):
        self.company.credit_probation_mode = "apply"
        self.start()
        policy = self.make_policy(cap_credit_limit=True)
        self.make_cover(policy, self.newcomer, 1200.0, date="2026-01-06")
        self.paid_invoice("2026-01-10", "2026-02-09", "2026-02-09")
        self.paid_invoice("2026-01-11", "2026-02-10", "2026-02-10")
        self.step("2026-02-15")
        self.assertEqual(self.profile().credit_limit, 1200.0)  # the insurer's cover, not 1,500
        self.assertTrue(self.profile().credit_probation)
        policy.cap_credit_limit = False
        self.profile().credit_target_limit = 1400.0
        self.paid_invoice("2026-02-16", "2026-02-20", "2026-02-20")
        self.paid_invoice("2026-02-17", "2026-02-21", "2026-02-21")
        self.step("2026-02-25")
        self.assertRecordValues(self.profile(), [{"credit_limit": 1400.0, "credit_probation": False}])
        self.assertIn("probation ended", self.newcomer.message_ids[0].body)
        # The grade's cap is the target when none is given.
        grade_cap = self.grade_p.copy({"code": "TP2", "max_credit_limit": 1100.0})
        other = self.make_customer("Capped Newcomer", grade=grade_cap)
        with freeze_time("2026-01-05"):
            other.with_company(self.company).action_credit_start_probation()
        self.assertEqual(other.with_company(self.company).credit_target_limit, 1100.0)

    def test_propose_then_apply(self):
        self.assertEqual(self.company.credit_probation_mode, "propose")
        self.start()
        self.paid_invoice("2026-01-10", "2026-02-09", "2026-02-09")
        self.paid_invoice("2026-01-11", "2026-02-10", "2026-02-10")
        self.step("2026-02-15")
        profile = self.profile()
        self.assertRecordValues(profile, [{"credit_limit": 1000.0, "credit_probation_proposed_limit": 1500.0}])
        activities = self.newcomer.activity_ids
        self.assertEqual(activities.user_id, self.company._credit_managers())
        self.assertFalse(self.step("2026-02-16"))  # proposed once
        self.assertEqual(self.newcomer.activity_ids, activities)
        with self.assertRaises(AccessError):
            self.newcomer.with_user(self.credit_user).with_company(self.company).action_credit_apply_probation_step()
        with freeze_time("2026-02-17"):
            self.newcomer.with_user(self.credit_manager).with_company(self.company).action_credit_apply_probation_step()
        self.assertRecordValues(profile, [{"credit_limit": 1500.0, "credit_probation_proposed_limit": 0.0,
                                           "credit_probation_stage": 2}])
        with self.assertRaises(UserError):
            self.newcomer.with_company(self.company).action_credit_apply_probation_step()

    def test_daily_job(self):
        self.company.credit_probation_mode = "apply"
        self.start()
        self.paid_invoice("2026-01-10", "2026-02-09", "2026-02-09")
        self.paid_invoice("2026-01-11", "2026-02-10", "2026-02-10")
        cron = self.env.ref("credit_control.ir_cron_credit_probation")
        with freeze_time("2026-02-15"), self.enter_registry_test_mode():
            cron.method_direct_trigger()
            cron.method_direct_trigger()
        self.assertRecordValues(self.profile(), [{"credit_limit": 1500.0, "credit_probation_stage": 2}])

    def test_rights_and_grade_without_probation(self):
        with self.assertRaises(AccessError):
            self.newcomer.with_user(self.credit_user).with_company(self.company).action_credit_start_probation()
        with self.assertRaises(AccessError):
            self.newcomer.with_user(self.salesman_billing).with_company(self.company).write(
                {"credit_target_limit": 1e6})
        with self.assertRaises(UserError):
            self.customer.with_company(self.company).action_credit_start_probation()  # grade TB: no probation
