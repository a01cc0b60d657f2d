from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
class TestRelease(CreditCommon):
    """Request, refuse, approve, use once, invalidation on a higher amount, rights and audit."""

    def setUp(self):
        super().setUp()
        self.make_invoice(self.customer, 900.0)
        self.order = self.make_order(self.customer, 500.0, user=self.salesman)

    def request(self):
        self.order.with_user(self.salesman).action_credit_release_request()
        return self.order.credit_release_ids

    def test_full_cycle(self):
        request = self.request()
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.requested_by_id, self.salesman)
        self.assertEqual(request.amount, 500.0)
        self.assertIn("Credit limit exceeded", request.reasons)
        self.assertEqual(self.order.credit_release_state, "pending")
        # Every credit manager (not the requester) gets an activity.
        self.assertIn(self.credit_manager, request.activity_ids.user_id)
        with self.assertRaisesRegex(UserError, "already pending"):
            self.order.with_user(self.salesman).action_credit_release_request()

        request.with_user(self.credit_manager).action_refuse(note="Pay the overdue first")
        self.assertEqual(request.state, "refused")
        self.assertEqual(request.decided_by_id, self.credit_manager)
        self.assertFalse(request.activity_ids)
        with self.assertRaises(UserError):
            self.order.with_user(self.salesman).action_confirm()

        second = self.request() - request
        second.with_user(self.credit_manager).action_approve()
        self.assertEqual(second.state, "approved")
        # Raising the amount invalidates the release.
        self.order.order_line.write({"product_uom_qty": 2, "price_unit": 500.0})
        self.assertEqual(self.order.amount_total, 1000.0)
        with self.assertRaisesRegex(UserError, "Credit limit exceeded"):
            self.order.with_user(self.salesman).action_confirm()
        # Back to the approved amount or less: confirms once.
        self.order.order_line.write({"product_uom_qty": 0.8, "price_unit": 500.0})
        self.order.with_user(self.salesman).action_confirm()
        self.assertEqual(self.order.state, "sale")
        self.assertEqual(second.state, "used")
        # The release does not carry over to another order.
        other = self.make_order(self.customer, 100.0)
        with self.assertRaises(UserError):
            other.action_confirm()

        events = self.env["credit.audit.log"].search(
            [("partner_id", "=", self.customer.id), ("event_type", "like", "release")], order="id")
        self.assertEqual(events.mapped("event_type"), [
            "release_request", "release_refused", "release_request", "release_approved", "release_used"])
        self.assertEqual(events[1].user_id, self.credit_manager)
        self.assertIn("refused", " ".join(self.order.message_ids.mapped("body")))
        self.assertIn("approved", " ".join(self.customer.message_ids.mapped("body")))

    def test_only_managers_decide_and_not_their_own(self):
        request = self.request()
        for user in (self.salesman, self.salesman_billing, self.credit_user):
            with self.assertRaises(AccessError):
                request.with_user(user).action_approve()
        # Direct writes and creates are closed to everyone, context keys included.
        for user in (self.salesman, self.credit_manager):
            with self.assertRaises(AccessError):
                request.with_user(user).with_context(credit_release_create=True).write({"state": "approved"})
            with self.assertRaises(AccessError):
                self.env["credit.release.request"].with_user(user).create({
                    "order_id": self.order.id, "partner_id": self.customer.id,
                    "company_id": self.company.id, "currency_id": self.currency.id,
                    "amount": 1e9, "reasons": "x", "requested_by_id": user.id,
                    "requested_date": "2026-01-01 00:00:00", "state": "approved"})
        self.assertEqual(request.state, "pending")
        # A manager who asked cannot approve their own request.
        order = self.make_order(self.customer, 300.0, user=self.credit_manager)
        order.with_user(self.credit_manager).action_credit_release_request()
        with self.assertRaisesRegex(AccessError, "another credit manager"):
            order.credit_release_ids.with_user(self.credit_manager).action_approve()
        order.credit_release_ids.with_user(self.credit_manager_2).action_approve()
        self.assertEqual(order.credit_release_ids.state, "approved")

    def test_no_release_when_not_blocked(self):
        order = self.make_order(self.customer, 10.0)
        with self.assertRaisesRegex(UserError, "no release is needed"):
            order.action_credit_release_request()

    def test_managed_fields_only_by_managers_and_audited(self):
        for user in (self.salesman, self.salesman_billing, self.credit_user):
            for vals in ({"credit_limit": 1e6}, {"credit_grade_id": self.grade_a.id},
                         {"credit_hold": False, "credit_hold_reason": "x"}):
                with self.assertRaises(AccessError):
                    self.customer.with_user(user).with_context(
                        tracking_disable=True, credit_bypass=True).write(vals)
        self.assertEqual(self.customer.credit_limit, 1000.0)
        # Billing user may still edit other fields and resend an unchanged limit.
        self.customer.with_user(self.salesman_billing).write({"phone": "123", "credit_limit": 1000.0})
        # A manager's change is audited even with tracking switched off.
        self.customer.with_user(self.credit_manager).with_context(
            tracking_disable=True, mail_notrack=True).write({"credit_limit": 2000.0})
        log = self.env["credit.audit.log"].search(
            [("partner_id", "=", self.customer.id), ("event_type", "=", "limit")], order="id desc", limit=1)
        self.assertEqual((log.old_value, log.new_value, log.user_id), ("1000.0", "2000.0", self.credit_manager))
        # Amounts are money in the company currency too, which the screens show instead of the text.
        self.assertEqual((log.is_amount, log.old_amount, log.new_amount, log.currency_id),
                         (True, 1000.0, 2000.0, self.company.currency_id))
        # With tracking on (the test base switches it off), the chatter shows the change too.
        self.customer.with_user(self.credit_manager).with_context(
            tracking_disable=False, mail_notrack=False).write({"credit_grade_id": self.grade_a.id})
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking values are written at commit time
        tracked = self.customer.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "credit_grade_id")
        self.assertEqual(tracked[:1].new_value_char, self.grade_a.display_name)
        self.customer.with_user(self.credit_manager).write(
            {"credit_hold": True, "credit_hold_reason": "Lawsuit filed"})
        hold = self.env["credit.audit.log"].search(
            [("partner_id", "=", self.customer.id), ("event_type", "=", "hold")], order="id")
        self.assertIn("Lawsuit filed", hold.mapped("reason"))
        # Audit rows are immutable.
        with self.assertRaises(UserError):
            log.write({"new_value": "1"})
        with self.assertRaises(UserError):
            log.unlink()
