from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import CreditCommon

DUE = date(2026, 1, 1)


@tagged("post_install", "-at_install")
class TestPaymentPlan(CreditCommon):
    """A payment plan agreed after default: prepared by a credit user, activated by a manager;
    kept, it pauses dunning and the credit check judges its instalments; late beyond its grace,
    it breaks (dunning resumes at the level due, hold, activity, audit); paid, it completes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.credit_dunning_procedure_id = cls.env.ref("credit_control.credit_dunning_procedure_standard")
        cls.reminder, cls.demand = (
            cls.env.ref(f"credit_control.credit_dunning_level_{x}") for x in ("reminder", "demand"))
        cls.customer.email = "ap@customer.example.com"
        cls.inv_a = cls.make_invoice(cls.customer, 600.0, invoice_date=date(2025, 12, 1), due_date=DUE)
        cls.inv_b = cls.make_invoice(cls.customer, 400.0, invoice_date=date(2025, 12, 1), due_date=DUE)
        cls.cron = cls.env.ref("credit_control.ir_cron_credit_payment_plan")

    def make_plan(self, day=date(2026, 1, 20)):
        """From the customer's form, as a credit user: 100 down on 1 February, 3 × 300 monthly."""
        with freeze_time(day):
            action = self.customer.with_user(self.credit_user).action_new_credit_payment_plan()
            form = Form(self.env["credit.payment.plan"].with_user(self.credit_user).with_context(**action["context"]))
            form.down_payment = 100.0
            form.down_payment_date = date(2026, 2, 1)
            form.instalment_count = 3
            form.first_date = date(2026, 3, 1)
            plan = form.save()
            plan.action_generate_lines()
        return plan.with_env(self.env)

    def adherence(self, day):
        with freeze_time(day), self.enter_registry_test_mode():
            self.cron.method_direct_trigger()

    def dun(self, day):
        with freeze_time(day):
            return self.run_dunning(day)

    def overdue_reasons(self, day):
        with freeze_time(day):
            return [code for code, _message in self.env["credit.exposure.engine"]._check(
                self.customer, self.company, 10.0, lock=False) if code == "overdue"]

    def test_prepared_by_user_activated_by_manager(self):
        self.assertEqual(self.dun(date(2026, 1, 8)).level_id, self.reminder)
        plan = self.make_plan()
        self.assertEqual(plan.state, "draft")
        self.assertEqual(plan.move_ids, self.inv_a | self.inv_b)
        self.assertEqual(plan.amount_covered, 1000.0)
        self.assertEqual([(line.date, line.amount) for line in plan.line_ids], [
            (date(2026, 2, 1), 100.0), (date(2026, 3, 1), 300.0), (date(2026, 4, 1), 300.0),
            (date(2026, 5, 1), 300.0)])
        # The schedule stays editable while a draft.
        plan.line_ids[-1].amount = 310.0
        self.assertEqual(plan.interest_amount, 10.0)
        plan.line_ids[-1].amount = 300.0
        # Users cannot activate, nor set the state over RPC; nobody creates an active plan.
        with self.assertRaises(AccessError):
            plan.with_user(self.credit_user).action_activate()
        for user in (self.credit_user, self.credit_manager):
            with self.assertRaisesRegex(UserError, "through its buttons"):
                plan.with_user(user).write({"state": "active"})
        with self.assertRaisesRegex(UserError, "created as a draft"):
            self.env["credit.payment.plan"].with_user(self.credit_manager).create({
                "partner_id": self.customer.id, "state": "active"})
        with freeze_time(date(2026, 1, 20)):
            plan.with_user(self.credit_manager).action_activate()
        self.assertEqual((plan.state, plan.amount_total, plan.amount_total_company), ("active", 1000.0, 1000.0))
        # Fixed once active.
        with self.assertRaisesRegex(UserError, "draft payment plan"):
            plan.with_user(self.credit_manager).write({"down_payment": 0.0})
        with self.assertRaisesRegex(UserError, "draft payment plan"):
            plan.line_ids[0].with_user(self.credit_manager).amount = 1.0
        audit = self.env["credit.audit.log"].search([("event_type", "=", "payment_plan"), ("res_id", "=", plan.id)])
        self.assertEqual(audit.mapped("new_value"), ["active"])
        self.assertEqual(audit.user_id, self.credit_manager)
        # Another plan cannot cover the same invoices.
        other = self.make_plan()
        with self.assertRaisesRegex(UserError, "already covered"):
            other.with_user(self.credit_manager).action_activate()
        with self.assertRaisesRegex(ValidationError, "one currency|its customer"):
            other.move_ids = self.make_invoice(self.make_customer("Someone Else"), 50.0)

    def test_kept_broken_resumes_dunning_at_due_level(self):
        self.assertEqual(self.dun(date(2026, 1, 8)).level_id, self.reminder)
        # 24 days overdue: beyond the grade's 15 days of tolerance.
        self.assertEqual(self.overdue_reasons(date(2026, 1, 25)), ["overdue"])
        plan = self.make_plan()
        with freeze_time(date(2026, 1, 20)):
            plan.action_activate()
        # Kept: no dunning, and the credit check judges the plan, whose first payment is not due.
        self.assertFalse(self.dun(date(2026, 1, 31)))
        self.assertEqual(self.overdue_reasons(date(2026, 1, 25)), [])
        with freeze_time(date(2026, 1, 25)):
            self.assertEqual(self.figures(self.customer)["overdue_amount"], 0.0)
        # The company may keep judging the invoices' due dates instead.
        self.company.credit_plan_overdue_by_plan = False
        self.assertEqual(self.overdue_reasons(date(2026, 1, 25)), ["overdue"])
        self.company.credit_plan_overdue_by_plan = True
        # The down payment is made; on 6 March the 1 March instalment is 5 days late: within
        # the grace, the plan holds; the credit check sees 300 overdue for 5 days (tolerated).
        self.pay(self.inv_a, 100.0, date=date(2026, 2, 1))
        self.adherence(date(2026, 3, 6))
        self.assertEqual(plan.state, "active")
        with freeze_time(date(2026, 3, 6)):
            plan.invalidate_recordset()
            self.assertEqual(plan.amount_paid, 100.0)
            self.assertEqual(plan.line_ids.mapped("payment_state"), ["paid", "late", "open", "open"])
            figures = self.figures(self.customer)
            self.assertEqual((figures["overdue_amount"], figures["oldest_overdue_days"]), (300.0, 5))
        self.assertEqual(self.overdue_reasons(date(2026, 3, 6)), [])
        self.assertFalse(self.dun(date(2026, 3, 6)))
        # 7 March: 6 days late, the plan breaks.
        self.adherence(date(2026, 3, 7))
        self.adherence(date(2026, 3, 8))  # idempotent
        self.assertEqual((plan.state, plan.date_closed), ("broken", date(2026, 3, 7)))
        self.assertTrue(self.customer.credit_hold)
        self.assertEqual(self.customer.credit_hold_reason, "Payment plan broken")
        self.assertEqual(
            self.env["credit.audit.log"].search([("event_type", "=", "payment_plan"), ("res_id", "=", plan.id)],
                                                order="id").mapped("new_value"), ["active", "broken"])
        self.assertTrue(self.env["credit.audit.log"].search([
            ("partner_id", "=", self.customer.id), ("event_type", "=", "hold"), ("new_value", "=", "True")]))
        self.assertEqual(plan.activity_ids.user_id & self.credit_manager, self.credit_manager)
        # Dunning resumes at the level due (65 days: the demand), not from the start.
        event = self.dun(date(2026, 3, 7))
        self.assertEqual(event.level_id, self.demand)
        self.assertEqual(event.line_ids.move_id, self.inv_a | self.inv_b)
        self.assertEqual(event.amount_total, 900.0)

    def test_completed_when_paid(self):
        plan = self.make_plan()
        with freeze_time(date(2026, 1, 20)):
            plan.action_activate()
        self.pay(self.inv_a, 600.0, date=date(2026, 2, 1))
        self.adherence(date(2026, 2, 2))
        self.assertEqual(plan.state, "active")
        self.pay(self.inv_b, 400.0, date=date(2026, 3, 1))
        self.adherence(date(2026, 3, 2))
        self.assertEqual((plan.state, plan.date_closed), ("completed", date(2026, 3, 2)))
        self.assertFalse(self.customer.credit_hold)

    def test_interest_invoice_and_agreement(self):
        plan = self.make_plan()
        plan.interest_rate = 10.0
        plan.action_generate_lines()
        # 900 from 1 February: 28 days, then 600 for 31 days, then 300 for 30 days, at 10 %.
        interest = [round(900 * 0.1 * 28 / 365, 2), round(600 * 0.1 * 31 / 365, 2), round(300 * 0.1 * 30 / 365, 2)]
        self.assertEqual(plan.line_ids.mapped("interest"), [0.0, *interest])
        self.assertEqual(plan.interest_amount, round(sum(interest), 2))
        with freeze_time(date(2026, 1, 20)):
            plan.action_activate()
        self.assertEqual(plan.interest_move_id.state, "posted")
        self.assertEqual(plan.interest_move_id.amount_total, plan.interest_amount)
        self.assertEqual(plan.amount_total, 1000.0 + plan.interest_amount)
        # The interest invoice is off the ladder too while the plan is kept.
        self.assertFalse(self.dun(date(2026, 6, 1)))
        html = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.action_report_credit_payment_plan", plan.ids)[0].decode()
        self.assertIn(plan.name, html)
        self.assertIn("Payment plan agreement", html)
        self.assertIn("down payment", html)

    def test_adherence_queries_do_not_grow(self):
        """The daily job costs the same queries whether one plan breaks or three (the
        managers, the reply-to of the notes, the activities: once for all plans)."""
        def broken_plans(count):
            plans = self.env["credit.payment.plan"]
            for number in range(count):
                customer = self.make_customer(f"Plan customer {count}/{number}")
                invoice = self.make_invoice(customer, 300.0, invoice_date=date(2025, 12, 1), due_date=DUE)
                with freeze_time(date(2026, 1, 20)):
                    plan = self.env["credit.payment.plan"].create({
                        "partner_id": customer.id, "move_ids": [(6, 0, invoice.ids)],
                        "instalment_count": 1, "first_date": date(2026, 2, 1), "hold_on_break": True})
                    plan.action_generate_lines()
                    plan.action_activate()
                plans |= plan
            return plans

        counts = []
        for count in (1, 1, 3):  # the first round warms the caches
            plans = broken_plans(count)
            changed, queries = self.queries(self.env["credit.payment.plan"]._follow_adherence, date(2026, 3, 1))
            self.assertEqual(changed & plans, plans)
            self.assertEqual(set(plans.mapped("state")), {"broken"})
            self.assertTrue(all(plans.partner_id.mapped("credit_hold")))
            self.assertEqual(len(plans.activity_ids), count * len(self.company._credit_managers()))
            counts.append(len(queries))
        self.assertEqual(counts[1], counts[2], "the adherence job runs queries per plan")
