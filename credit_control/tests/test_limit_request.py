from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-03-02")
class TestLimitRequest(CreditCommon):
    """Limit requests: permanent and temporary, from the customer and from a blocked quotation,
    decided by another credit manager, applied and ended through the audited limit path."""

    def request(self, user, amount, partner=None, **values):
        partner = partner or self.customer
        action = partner.with_user(user).action_credit_limit_request()
        wizard = Form(self.env["credit.limit.request.wizard"].with_user(user).with_context(**action["context"]))
        wizard.requested_limit = amount
        wizard.reason = values.pop("reason", "Seasonal orders")
        for fname, value in values.items():
            setattr(wizard, fname, value)
        wizard.save().action_request()
        return self.env["credit.limit.request"].search([("partner_id", "=", partner.id)], limit=1)

    def audit(self, partner=None):
        return self.env["credit.audit.log"].search(
            [("partner_id", "=", (partner or self.customer).id)], order="id")

    def end_temporary_limits(self):
        with self.enter_registry_test_mode():
            self.env.ref("credit_control.ir_cron_credit_end_temporary_limits").method_direct_trigger()
        self.env.invalidate_all()

    def test_permanent_request_approved_by_another_manager(self):
        before = len(self.audit())
        request = self.request(self.salesman, 4000.0)
        self.assertRecordValues(request, [{
            "state": "pending", "limit_type": "permanent", "current_limit": 1000.0,
            "requested_limit": 4000.0, "requested_by_id": self.salesman.id,
            "currency_id": self.currency.id, "company_id": self.company.id}])
        self.assertIn(self.credit_manager, request.activity_ids.user_id)
        self.assertNotIn(self.salesman, request.activity_ids.user_id)
        for user in (self.salesman, self.salesman_billing, self.credit_user):
            with self.assertRaises(AccessError):
                request.with_user(user).action_approve()
        with self.assertRaisesRegex(UserError, "already pending"):
            self.request(self.credit_user, 5000.0)

        request.with_user(self.credit_manager).action_approve(note="Guarantee received")
        self.assertEqual(self.customer.credit_limit, 4000.0)
        self.assertRecordValues(request, [{
            "state": "approved", "decided_by_id": self.credit_manager.id, "previous_limit": 1000.0}])
        self.assertFalse(request.activity_ids)
        rows = self.audit()[before:]
        self.assertEqual(rows.mapped("event_type"), ["limit_request", "limit", "limit_request_approved"])
        self.assertEqual(rows.mapped("user_id"), self.salesman | self.credit_manager)
        self.assertEqual((rows[1].old_value, rows[1].new_value), ("1000.0", "4000.0"))
        self.assertEqual((rows[2].res_model, rows[2].res_id), ("credit.limit.request", request.id))
        approval = request.message_ids.filtered(lambda m: "approved by" in m.body)
        self.assertEqual(len(approval), 1)
        self.assertIn(self.salesman.partner_id, approval.partner_ids)
        with self.assertRaisesRegex(UserError, "no longer pending"):
            request.with_user(self.credit_manager_2).action_refuse()

    def test_own_request_needs_another_manager_and_refusal(self):
        request = self.request(self.credit_manager, 3000.0)
        self.assertNotIn(self.credit_manager, request.activity_ids.user_id)
        with self.assertRaisesRegex(AccessError, "another credit manager"):
            request.with_user(self.credit_manager).action_approve()
        request.with_user(self.credit_manager_2).action_refuse(note="Pay the overdue first")
        self.assertEqual(request.state, "refused")
        self.assertEqual(self.customer.credit_limit, 1000.0)
        self.assertEqual(self.audit()[-1].event_type, "limit_request_refused")
        self.assertEqual(self.audit()[-1].reason, "Pay the overdue first")

    def test_no_direct_writes_or_creates(self):
        request = self.request(self.salesman, 3000.0)
        for user in (self.salesman, self.credit_manager):
            with self.assertRaises(AccessError):
                request.with_user(user).write({"state": "approved"})
            with self.assertRaises(AccessError):
                self.env["credit.limit.request"].with_user(user).create({
                    "partner_id": self.customer.id, "company_id": self.company.id,
                    "currency_id": self.currency.id, "requested_limit": 1e9, "reason": "x",
                    "requested_by_id": self.credit_manager_2.id,
                    "requested_date": "2026-03-02 00:00:00", "state": "approved"})
        plain = self.make_user("cc_plain", "base.group_user")
        with self.assertRaises(AccessError):
            self.env["credit.limit.request"].with_user(plain)._request(self.customer, self.company, 2000.0, "x")
        self.assertEqual(request.state, "pending")
        request.with_user(self.salesman).action_cancel()
        self.assertEqual(request.state, "cancelled")

    def test_bad_requests_are_refused(self):
        cases = [
            ({"requested_limit": 0.0}, "must be positive"),
            ({"requested_limit": 1000.0}, "already has a credit limit"),
            ({"requested_limit": 60000.0}, "caps the credit limit"),
            ({"requested_limit": 2000.0, "reason": "   "}, "Give a reason"),
            ({"requested_limit": 2000.0, "limit_type": "temporary", "date_end": None}, "end date"),
            ({"requested_limit": 2000.0, "limit_type": "temporary", "date_end": "2026-03-01"}, "end date"),
        ]
        Request = self.env["credit.limit.request"].with_user(self.salesman)
        for values, message in cases:
            values = {"reason": "Seasonal", **values}
            with self.subTest(values=values), self.assertRaisesRegex(UserError, message):
                Request._request(self.customer, self.company, values.pop("requested_limit"),
                                 values.pop("reason"), **values)
        other = self.make_customer("Other Customer", limit=500.0)
        with self.assertRaisesRegex(UserError, "is not a quotation of"):
            Request._request(self.customer, self.company, 2000.0, "x", order=self.make_order(other, 100.0))
        self.assertFalse(self.env["credit.limit.request"].search([("partner_id", "=", self.customer.id)]))

    def test_from_blocked_quotation(self):
        self.make_invoice(self.customer, 900.0)
        order = self.make_order(self.customer, 1500.0, user=self.salesman)
        self.assertIn("Credit limit exceeded", order.credit_block_message)
        action = order.with_user(self.salesman).action_credit_limit_request()
        Wizard = self.env["credit.limit.request.wizard"].with_user(self.salesman)
        wizard = Form(Wizard.with_context(**action["context"]))
        self.assertEqual(wizard.requested_limit, 2400.0)  # 900 receivable + this order
        self.assertEqual(wizard.current_limit, 1000.0)
        self.assertEqual(wizard.current_exposure, 900.0)
        wizard.reason = "Big order"
        wizard.save().action_request()
        request = self.env["credit.limit.request"].search([("order_id", "=", order.id)])
        self.assertEqual(request.requested_limit, 2400.0)
        request.with_user(self.credit_manager).action_approve()
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_temporary_limit_ends_back_to_previous(self):
        request = self.request(self.salesman, 3000.0, limit_type="temporary", date_end="2026-03-31")
        self.assertEqual(request.date_end.isoformat(), "2026-03-31")
        request.with_user(self.credit_manager).action_approve()
        self.assertEqual(self.customer.credit_limit, 3000.0)
        with freeze_time("2026-03-31"):
            self.end_temporary_limits()
            self.assertEqual(self.customer.credit_limit, 3000.0)
            self.assertEqual(request.state, "approved")
        before = len(self.audit())
        with freeze_time("2026-04-01"):
            self.end_temporary_limits()
            self.assertEqual(self.customer.credit_limit, 1000.0)
            self.assertRecordValues(request, [{"state": "ended", "ended_date": date(2026, 4, 1)}])
            rows = self.audit()[before:]
            self.assertEqual(rows.mapped("event_type"), ["limit", "limit_temporary_end"])
            self.assertEqual((rows[0].old_value, rows[0].new_value), ("3000.0", "1000.0"))
            self.assertEqual((rows[1].old_value, rows[1].new_value), ("3000.0", "1000.0"))
            notice = request.message_ids.filtered(lambda m: "back to" in m.body)
            self.assertIn("back to $&nbsp;1,000.00", notice.body)
            self.assertIn(self.salesman.partner_id, notice.partner_ids)
            self.assertTrue(self.customer.message_ids.filtered(lambda m: "back to" in m.body))
            self.end_temporary_limits()  # idempotent
            self.assertEqual(len(self.audit()), before + 2)

    def test_stale_temporary_request_and_cancel_rights(self):
        request = self.request(self.salesman, 3000.0, limit_type="temporary", date_end="2026-03-05")
        with freeze_time("2026-03-06"), self.assertRaisesRegex(UserError, "can no longer be approved"):
            request.with_user(self.credit_manager).action_approve()
        with self.assertRaisesRegex(AccessError, "requester or a credit manager"):
            request.with_user(self.credit_user).action_cancel()
        request.with_user(self.credit_manager).action_cancel()
        self.assertEqual(request.state, "cancelled")
        self.assertFalse(request.activity_ids)
        self.assertEqual(self.customer.credit_limit, 1000.0)

    def test_temporary_limit_changed_meanwhile_is_kept(self):
        request = self.request(self.salesman, 3000.0, limit_type="temporary", date_end="2026-03-10")
        request.with_user(self.credit_manager).action_approve()
        self.customer.with_user(self.credit_manager_2).credit_limit = 2500.0
        with freeze_time("2026-03-11"):
            self.end_temporary_limits()
        self.assertEqual(self.customer.credit_limit, 2500.0)
        self.assertEqual(request.state, "ended")
        self.assertEqual(self.audit()[-1].event_type, "limit_temporary_end")
        self.assertIn("kept", self.audit()[-1].reason)

    def test_new_temporary_limit_replaces_the_active_one(self):
        first = self.request(self.salesman, 3000.0, limit_type="temporary", date_end="2026-03-31")
        first.with_user(self.credit_manager).action_approve()
        second = self.request(self.salesman, 5000.0, limit_type="temporary", date_end="2026-04-30")
        second.with_user(self.credit_manager).action_approve()
        self.assertEqual(first.state, "ended")
        self.assertEqual(second.previous_limit, 1000.0)  # the limit before any temporary one
        with freeze_time("2026-05-01"):
            self.end_temporary_limits()
        self.assertEqual(self.customer.credit_limit, 1000.0)
        self.assertEqual(second.state, "ended")

    def test_expiry_job_ends_only_what_is_due(self):
        partners = [self.make_customer(f"Temp {i}", limit=1000.0, grade=self.grade_b) for i in range(4)]
        for i, partner in enumerate(partners):
            request = self.request(self.salesman, 2000.0 + i, partner=partner, limit_type="temporary",
                                   date_end="2026-03-10" if i < 2 else "2026-03-20")
            request.with_user(self.credit_manager).action_approve()
        with freeze_time("2026-03-11"):
            self.end_temporary_limits()
        self.assertEqual([p.credit_limit for p in partners], [1000.0, 1000.0, 2002.0, 2003.0])
