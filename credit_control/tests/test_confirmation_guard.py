"""Every way into a confirmed order or a posted invoice goes through the credit policy.

Each test plays one path as a salesperson would over RPC (``write``, ``create``, ``load``,
``copy``) and asserts the document's state after the attempt; a refused attempt is undone as
the RPC layer would undo it (a savepoint here).
"""
from contextlib import contextmanager

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CreditCommon

# Context keys a client may send: none of them switches the check off.
CLIENT_CONTEXT = {"credit_bypass": True, "bypass_risk": True, "import_file": True,
                  "tracking_disable": True, "skip_readonly_check": True, "credit_checked": True}


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestConfirmationGuard(CreditCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_invoice(cls.customer, 900.0)  # limit 1,000: 100 left

    @contextmanager
    def refused(self, *fragments):
        """The attempt raises a UserError with ``fragments`` and is undone."""
        with self.assertRaises(UserError) as error, self.env.cr.savepoint():
            yield
        for fragment in fragments:
            self.assertIn(fragment, str(error.exception))
        self.env.invalidate_all()

    def checks(self, partner):
        """How many credit checks ran for ``partner`` (each writes its serialization row)."""
        self.env.flush_all()
        lock = self.env["credit.check.lock"].sudo().search([("partner_id", "=", partner.id)])
        lock.invalidate_recordset()
        return lock.check_count

    def as_salesman(self, records):
        return records.with_user(self.salesman).with_context(**CLIENT_CONTEXT)

    # ------------------------------------------------------------------ sale orders
    def test_write_state(self):
        order = self.make_order(self.customer, 500.0, user=self.salesman)
        with self.refused("Credit limit exceeded", "900.00", "500.00", "1,400.00"):
            self.as_salesman(order).write({"state": "sale"})
        self.assertEqual(order.state, "draft")
        # An order within the policy is confirmed by the same write, checked once.
        small = self.make_order(self.customer, 80.0, user=self.salesman)
        before = self.checks(self.customer)
        self.as_salesman(small).write({"state": "sale"})
        self.assertEqual(small.state, "sale")
        self.assertEqual(self.checks(self.customer), before + 1)
        # A cancelled order written straight to confirmed is checked too.
        cancelled = self.make_order(self.customer, 50.0, user=self.salesman)
        cancelled._action_cancel()
        with self.refused("1,030.00"):
            self.as_salesman(cancelled).write({"state": "sale"})
        self.assertEqual(cancelled.state, "cancel")

    def test_write_state_with_other_values(self):
        """The check sees the order as written: its new customer and lines."""
        free = self.make_customer("Free Co")
        order = self.make_order(free, 500.0, user=self.salesman)
        with self.refused("Credit limit exceeded", "1,400.00"):
            self.as_salesman(order).write({"state": "sale", "partner_id": self.customer.id})
        self.assertEqual((order.state, order.partner_id), ("draft", free))
        small = self.make_order(self.customer, 50.0, user=self.salesman)
        with self.refused("1,200.00"):
            self.as_salesman(small).write({"state": "sale", "order_line": [
                Command.update(small.order_line.id, {"price_unit": 300.0})]})
        self.assertEqual((small.state, small.amount_total), ("draft", 50.0))

    def test_write_state_of_two_orders_counts_both(self):
        orders = self.make_order(self.customer, 60.0) | self.make_order(self.customer, 60.0)
        with self.refused("1,020.00"):
            self.as_salesman(orders).write({"state": "sale"})
        self.assertEqual(orders.mapped("state"), ["draft", "draft"])

    def test_create_confirmed(self):
        values = {"partner_id": self.customer.id, "state": "sale", "order_line": [Command.create({
            "product_id": self.product.id, "price_unit": 500.0, "tax_ids": [Command.clear()]})]}
        with self.refused("Credit limit exceeded", "1,400.00"):
            self.as_salesman(self.env["sale.order"]).create(values)
        with self.refused("Credit limit exceeded", "1,400.00"):  # the state as a context default
            self.as_salesman(self.env["sale.order"]).with_context(default_state="sale").create(
                {key: value for key, value in values.items() if key != "state"})
        self.assertFalse(self.env["sale.order"].search([("partner_id", "=", self.customer.id)]))
        before = self.checks(self.customer)
        order = self.as_salesman(self.env["sale.order"]).create(dict(values, order_line=[Command.create({
            "product_id": self.product.id, "price_unit": 90.0, "tax_ids": [Command.clear()]})]))
        self.assertEqual((order.state, order.amount_total), ("sale", 90.0))
        self.assertTrue(order.date_order)
        self.assertEqual(self.checks(self.customer), before + 1)

    def test_copy_with_confirmed_state(self):
        order = self.make_order(self.customer, 90.0, user=self.salesman)
        order.action_confirm()
        self.assertEqual(order.copy().state, "draft")  # core: the state is not copied
        with self.refused("1,080.00"):
            self.as_salesman(order).copy({"state": "sale"})
        self.assertEqual(self.env["sale.order"].search_count([("partner_id", "=", self.customer.id)]), 2)

    def test_load(self):
        order = self.make_order(self.customer, 500.0, user=self.salesman)
        result = self.as_salesman(self.env["sale.order"]).load([".id", "state"], [[str(order.id), "sale"]])
        self.assertFalse(result["ids"])
        self.assertIn("Credit limit exceeded", " ".join(m["message"] for m in result["messages"]))
        self.env.invalidate_all()
        self.assertEqual(order.state, "draft")
        # Imported as a new confirmed order.
        result = self.as_salesman(self.env["sale.order"]).load(
            ["partner_id/.id", "order_line/product_id/.id", "order_line/price_unit", "state"],
            [[str(self.customer.id), str(self.product.id), "500", "sale"]])
        self.assertFalse(result["ids"])
        self.assertIn("Credit limit exceeded", " ".join(m["message"] for m in result["messages"]))
        self.assertEqual(self.env["sale.order"].search_count([("partner_id", "=", self.customer.id)]), 1)
        # Within the policy the import confirms.
        small = self.make_order(self.customer, 40.0, user=self.salesman)
        result = self.as_salesman(self.env["sale.order"]).load([".id", "state"], [[str(small.id), "sale"]])
        self.assertEqual(result["ids"], small.ids)
        self.assertEqual(small.state, "sale")

    def test_action_confirm_checks_once(self):
        order = self.make_order(self.customer, 90.0, user=self.salesman)
        before = self.checks(self.customer)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(self.checks(self.customer), before + 1)
        # The confirmation path's mark does not outlive it: a later write is checked.
        other = self.make_order(self.customer, 20.0, user=self.salesman)
        with self.refused("1,010.00"):
            self.as_salesman(other).write({"state": "sale"})

    def test_confirmed_order_keeps_its_customer(self):
        order = self.make_order(self.customer, 90.0, user=self.salesman)
        order.action_confirm()
        other = self.make_customer("Other Co", limit=100.0)
        with self.refused("cannot change"):
            self.as_salesman(order).write({"partner_id": other.id})
        self.assertEqual(order.partner_id, self.customer)
        # Another contact of the same customer is fine.
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": self.customer.id})
        self.as_salesman(order).write({"partner_id": contact.id})
        self.assertEqual(order.partner_id, contact)

    def test_online_confirmations_hold_blocked_orders(self):
        """Odoo's own confirmation after a portal signature or an online payment: a blocked
        order stays a quotation with an activity for its salesperson; a fully prepaid order
        passes where the policy allows prepaid orders."""
        blocked = self.make_order(self.customer, 500.0, user=self.salesman)
        blocked.user_id = self.salesman
        blocked.sudo()._validate_order()
        self.assertEqual(blocked.state, "draft")
        activity = blocked.activity_ids
        self.assertEqual((activity.user_id, activity.summary),
                         (self.salesman, "Confirmation held by the credit policy"))
        self.assertIn("Credit limit exceeded", activity.note)
        fine = self.make_order(self.customer, 90.0)
        fine.sudo()._validate_order()
        self.assertEqual(fine.state, "sale")

        provider = self.env["payment.provider"].create({
            "name": "Credit test provider", "code": "none", "state": "test",
            "company_id": self.company.id,
            "payment_method_ids": [Command.set(self.env.ref("payment.payment_method_unknown").ids)]})
        self._create_dummy_payment_method_for_provider(provider, self.company_data["default_journal_bank"])
        hold = self.make_customer("Hold Co")
        hold.write({"credit_hold": True, "credit_hold_reason": "Court case"})
        weak = self.make_customer("Weak Co", grade=self.grade_e)  # grade E: prepayment required

        def pay(order, amount, reference):
            order.write({"require_payment": True, "prepayment_percent": 0.5})
            tx = self.env["payment.transaction"].sudo().create({
                "provider_id": provider.id, "payment_method_id": self.env.ref("payment.payment_method_unknown").id,
                "amount": amount, "currency_id": order.currency_id.id, "reference": reference,
                "operation": "online_redirect", "partner_id": order.partner_id.id,
                "sale_order_ids": [Command.set(order.ids)], "state": "done"})
            tx._post_process()
            self.assertTrue(tx.is_post_processed)
            return tx

        held = self.make_order(hold, 200.0)
        pay(held, 100.0, "CC-HOLD")
        self.assertEqual(held.state, "draft")
        self.assertIn("Court case", held.activity_ids.note)
        prepaid = self.make_order(weak, 200.0)
        pay(prepaid, 100.0, "CC-HALF")  # half paid: the grade wants prepayment
        self.assertEqual(prepaid.state, "draft")
        pay(prepaid, 100.0, "CC-REST")  # fully paid: confirmed
        self.assertEqual(prepaid.state, "sale")

    # ------------------------------------------------------------------ releases
    def approved_release(self, order):
        order.with_user(self.salesman).action_credit_release_request()
        release = order.credit_release_ids
        release.with_user(self.credit_manager).action_approve()
        self.assertEqual(release.state, "approved")
        return release

    def test_customer_change_cancels_release(self):
        order = self.make_order(self.customer, 500.0, user=self.salesman)
        release = self.approved_release(order)
        held = self.make_customer("Held Co", limit=100.0)
        held.write({"credit_hold": True, "credit_hold_reason": "Unpaid"})
        self.as_salesman(order).write({"partner_id": held.id})
        self.assertEqual(release.state, "cancelled")
        with self.refused("on credit hold", "Credit limit exceeded"):
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(release.state, "cancelled")
        log = self.env["credit.audit.log"].search(
            [("event_type", "=", "release_cancelled"), ("res_id", "=", order.id)])
        self.assertEqual((log.partner_id, log.old_value, log.new_value, log.user_id),
                         (self.customer, "approved", "cancelled", self.salesman))
        self.assertIn("Held Co", log.reason)
        self.assertTrue([body for body in order.message_ids.mapped("body")
                         if "Credit release for" in body and "cancelled" in body])
        # Back to the first customer: the cancelled release does not revive.
        self.as_salesman(order).write({"partner_id": self.customer.id})
        with self.refused("Credit limit exceeded"):
            order.with_user(self.salesman).action_confirm()

    def test_company_change_cancels_pending_release(self):
        order = self.make_order(self.customer, 500.0, user=self.salesman)
        order.with_user(self.salesman).action_credit_release_request()
        release = order.credit_release_ids
        self.assertTrue(release.activity_ids)
        company_2 = self.setup_other_company(name="Credit Co 2")["company"]
        self.salesman.company_ids |= company_2
        self.as_salesman(order).with_context(allowed_company_ids=[company_2.id, self.company.id]).write(
            {"company_id": company_2.id})
        self.assertEqual(release.state, "cancelled")
        self.assertFalse(release.activity_ids)
        self.assertTrue(self.env["credit.audit.log"].search(
            [("event_type", "=", "release_cancelled"), ("res_id", "=", order.id),
             ("old_value", "=", "pending")]))

    def test_release_only_for_its_customer(self):
        order = self.make_order(self.customer, 500.0, user=self.salesman)
        release = self.approved_release(order)
        self.assertEqual(release._valid_for(order), release)
        # A release whose customer does not match its document (e.g. written before this rule)
        # is not valid: checked on every use, not only when the customer changes.
        other = self.make_customer("Other Co")
        release.sudo().partner_id = other
        self.assertFalse(release._valid_for(order))
        release.sudo().partner_id = self.customer
        order.with_user(self.salesman).action_confirm()
        self.assertEqual((order.state, release.state), ("sale", "used"))

    # ------------------------------------------------------------------ invoices
    def test_invoice_posted_by_write_create_load(self):
        self.company.credit_block_invoice_posting = True
        billing = self.salesman_billing
        invoice = self.make_invoice(self.customer, 300.0, post=False)
        with self.assertRaises(AccessError):  # a salesperson alone cannot write invoices at all
            invoice.with_user(self.salesman).write({"state": "posted"})
        with self.refused("Credit limit exceeded", "900.00", "300.00", "1,200.00"):
            invoice.with_user(billing).with_context(**CLIENT_CONTEXT).write({"state": "posted"})
        self.assertEqual(invoice.state, "draft")
        result = self.env["account.move"].with_user(billing).with_context(**CLIENT_CONTEXT).load(
            [".id", "state"], [[str(invoice.id), "posted"]])
        self.assertFalse(result["ids"])
        self.assertIn("Credit limit exceeded", " ".join(m["message"] for m in result["messages"]))
        self.env.invalidate_all()
        self.assertEqual(invoice.state, "draft")
        # Created or imported as posted: core refuses a posted move at creation.
        values = {"move_type": "out_invoice", "partner_id": self.customer.id, "state": "posted",
                  "invoice_line_ids": [Command.create({"product_id": self.product.id, "price_unit": 300.0,
                                                       "tax_ids": [Command.clear()]})]}
        with self.refused("posted state"):
            self.env["account.move"].with_user(billing).with_context(**CLIENT_CONTEXT).create(values)
        with self.refused("posted state"):
            self.env["account.move"].with_user(billing).with_context(default_state="posted").create(
                {key: value for key, value in values.items() if key != "state"})
        result = self.env["account.move"].with_user(billing).load(
            ["move_type", "partner_id/.id", "invoice_line_ids/product_id/.id",
             "invoice_line_ids/price_unit", "state"],
            [["out_invoice", str(self.customer.id), str(self.product.id), "300", "posted"]])
        self.assertFalse(result["ids"])
        self.assertEqual(self.env["account.move"].search_count(
            [("partner_id", "=", self.customer.id), ("state", "=", "posted")]), 1)
        # Within the policy the write posts, checked once (the refused draft, which the
        # exposure counts, deleted first).
        invoice.unlink()
        small = self.make_invoice(self.customer, 60.0, post=False)
        before = self.checks(self.customer)
        small.with_user(billing).write({"state": "posted"})
        self.assertEqual(small.state, "posted")
        self.assertEqual(self.checks(self.customer), before + 1)
        # action_post checks once too, and the setting off lets any invoice through.
        draft = self.make_invoice(self.customer, 30.0, post=False)
        before = self.checks(self.customer)
        draft.with_user(billing).action_post()
        self.assertEqual(self.checks(self.customer), before + 1)
        self.company.credit_block_invoice_posting = False
        big = self.make_invoice(self.customer, 300.0, post=False)
        big.with_user(billing).write({"state": "posted"})
        self.assertEqual(big.state, "posted")
