from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import CreditCommon

# Queries of one credit check with cold ORM caches, whatever the number of open invoices
# (the serialization row, the receivable, the other components and the open disputes are one
# statement, see credit_exposure_engine.py; the rest reads the order and the customer).
CHECK_QUERIES = 7


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestSaleBlock(CreditCommon):
    """Each block reason, the message with its numbers, the query bound, and the standard
    flow for customers outside credit control."""

    def assertBlocked(self, order, *fragments):
        with self.assertRaises(UserError) as error:
            order.action_confirm()
        for fragment in fragments:
            self.assertIn(fragment, str(error.exception))
        self.assertEqual(order.state, "draft")
        return str(error.exception)

    def test_limit_block_with_numbers(self):
        self.make_invoice(self.customer, 700.0)
        order = self.make_order(self.customer, 400.0)
        self.assertTrue(order.credit_block_message)
        self.assertAlmostEqual(order.credit_partner_available, 300.0)
        message = self.assertBlocked(order, "Credit limit exceeded", "700.00", "400.00", "1,100.00", "1,000.00")
        self.assertNotIn("Overdue", message)
        # A smaller order fits.
        small = self.make_order(self.customer, 300.0)
        self.assertFalse(small.credit_block_message)
        small.action_confirm()
        self.assertEqual(small.state, "sale")
        # The confirmed order now counts: the next one is blocked.
        self.assertBlocked(self.make_order(self.customer, 10.0), "1,010.00")

    def test_tolerance(self):
        self.company.credit_tolerance_pct = 10.0
        order = self.make_order(self.customer, 1100.0)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertBlocked(self.make_order(self.customer, 0.01), "tolerance 10")

    def test_order_in_other_currency_is_converted(self):
        # 2,200 EUR = 1,100 in company currency: over the 1,000 limit.
        order = self.make_order(self.customer, 2200.0, currency=self.other_currency)
        self.assertBlocked(order, "1,100.00")
        ok = self.make_order(self.customer, 1900.0, currency=self.other_currency)
        ok.action_confirm()
        self.assertEqual(ok.state, "sale")

    def test_hold_block(self):
        self.customer.write({"credit_hold": True, "credit_hold_reason": "Bankruptcy rumours"})
        self.assertBlocked(self.make_order(self.customer, 1.0), "on credit hold", "Bankruptcy rumours")
        # A hold blocks even a customer without limit or grade.
        other = self.make_customer("Hold Only")
        other.write({"credit_hold": True, "credit_hold_reason": "Court case"})
        self.assertBlocked(self.make_order(other, 1.0), "Court case")

    def test_overdue_block(self):
        # Grade B tolerates 100 overdue and 15 days.
        self.customer.credit_limit = 50000.0
        self.make_invoice(self.customer, 90.0, invoice_date=date(2026, 4, 1), due_date=date(2026, 5, 1))
        order = self.make_order(self.customer, 10.0)
        order.action_confirm()  # 90 overdue: below the amount tolerance
        self.make_invoice(self.customer, 50.0, invoice_date=date(2026, 6, 1), due_date=date(2026, 6, 25))
        self.assertBlocked(self.make_order(self.customer, 10.0), "Overdue beyond the tolerance",
                           "140.00", "oldest 60 days")

    def test_payment_term_and_prepayment(self):
        self.customer.credit_limit = 50000.0
        self.assertBlocked(self.make_order(self.customer, 10.0, payment_term=self.term_60),
                           "is not allowed for grade")
        allowed = self.make_order(self.customer, 10.0, payment_term=self.term_30)
        allowed.action_confirm()
        self.assertEqual(allowed.state, "sale")
        weak = self.make_customer("Weak Co", grade=self.grade_e)
        self.assertBlocked(self.make_order(weak, 10.0), "requires prepayment")

    def test_grade_change_applies_to_the_next_check(self):
        """The grade rules come from the registry cache: changing the grade clears it."""
        self.customer.credit_limit = 50000.0
        order = self.make_order(self.customer, 10.0, payment_term=self.term_60)
        self.assertIn("is not allowed for grade", order._credit_error_message())
        self.grade_b.allowed_payment_term_ids = [Command.link(self.term_60.id)]
        self.assertFalse(order._credit_error_message())
        self.grade_b.prepayment_required = True
        self.assertIn("requires prepayment", order._credit_error_message())
        self.grade_b.prepayment_required = False
        self.make_invoice(self.customer, 500.0, invoice_date=date(2026, 4, 1), due_date=date(2026, 5, 1))
        self.assertIn("Overdue beyond the tolerance", order._credit_error_message())
        self.grade_b.overdue_tolerance_amount = 600.0
        self.assertFalse(order._credit_error_message())

    def test_all_reasons_listed(self):
        self.customer.write({"credit_hold": True, "credit_hold_reason": "Review"})
        self.make_invoice(self.customer, 900.0, invoice_date=date(2026, 3, 1), due_date=date(2026, 3, 31))
        message = self.assertBlocked(self.make_order(self.customer, 500.0, payment_term=self.term_60),
                                     "on credit hold", "Credit limit exceeded", "Overdue beyond",
                                     "is not allowed")
        self.assertIn("Request Credit Release", message)

    def test_blocking_switch_and_uncontrolled_customer(self):
        free = self.make_customer("Free Co")
        with Form(self.env["sale.order"].with_user(self.salesman)) as form:
            form.partner_id = free
            with form.order_line.new() as line:
                line.product_id = self.product
                line.price_unit = 1e7
        order = form.save()
        self.assertFalse(order.credit_partner_controlled)
        self.assertFalse(order.credit_block_message)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertFalse(self.env["credit.check.lock"].search([("partner_id", "=", free.id)]))
        # Blocking switched off: the policy customer confirms as in standard Odoo.
        self.company.credit_block_sales = False
        big = self.make_order(self.customer, 5000.0)
        big.action_confirm()
        self.assertEqual(big.state, "sale")

    def test_batch_confirmation_counts_previous_orders(self):
        orders = self.make_order(self.customer, 600.0) | self.make_order(self.customer, 600.0)
        with self.assertRaises(UserError):
            orders.action_confirm()
        self.assertEqual(orders.mapped("state"), ["draft", "draft"])

    def test_salesman_sees_block_without_credit_rights(self):
        self.make_invoice(self.customer, 999.0)
        order = self.make_order(self.customer, 5.0, user=self.salesman)
        self.assertTrue(order.with_user(self.salesman).credit_block_message)
        with self.assertRaisesRegex(UserError, "Credit limit exceeded"):
            order.with_user(self.salesman).action_confirm()

    def test_check_query_count_independent_of_invoice_count(self):
        few = self.make_customer("Few Invoices", limit=1e9)
        many = self.make_customer("Many Invoices", limit=1e9)
        self.make_invoice(few, 10.0)
        for _i in range(200):
            self.make_invoice(many, 10.0, post=False)
        invoices = self.env["account.move"].search([("partner_id", "=", many.id)])
        invoices.action_post()
        self.assertEqual(len(invoices), 200)
        order_few = self.make_order(few, 10.0)
        order_many = self.make_order(many, 10.0)

        def check_queries(order):
            self.env.invalidate_all()
            with self.assertQueryCount(CHECK_QUERIES):
                before = self.env.cr.sql_log_count
                self.assertFalse(order._credit_error_message())
                return self.env.cr.sql_log_count - before

        # A first round fills the registry-level caches (access rules, groups, rates) as a
        # running server has them; the second round is what each confirmation costs.
        for order in (order_few, order_many):
            self.env.invalidate_all()
            order._credit_error_message()
        self.assertEqual(check_queries(order_few), check_queries(order_many))
        self.assertAlmostEqual(self.figures(many)["receivable"], 2000.0)

    def test_invoice_banner_and_posting_block(self):
        self.make_invoice(self.customer, 800.0)
        draft = self.make_invoice(self.customer, 300.0, post=False)
        self.assertIn("Credit limit exceeded", draft.credit_block_message)
        self.assertIn("800.00", draft.credit_block_message)
        # Off by default: posting goes through.
        draft.action_post()
        self.assertEqual(draft.state, "posted")
        self.company.credit_block_invoice_posting = True
        blocked = self.make_invoice(self.customer, 50.0, post=False)
        with self.assertRaisesRegex(UserError, "1,150.00"):
            blocked.action_post()
        self.assertEqual(blocked.state, "draft")

    def test_blocked_by_credit_filter(self):
        """The quotations' "Blocked by Credit" filter: the verdict of each open quotation, from
        one figures query per company; confirmed orders and free customers never match."""
        self.make_invoice(self.customer, 700.0)
        big = self.make_order(self.customer, 400.0)
        small = self.make_order(self.customer, 300.0)
        free_customer = self.make_customer("Free Customer")
        free = self.make_order(free_customer, 1e6)
        confirmed = self.make_order(free_customer, 100.0)
        confirmed.action_confirm()
        held = self.make_customer("Held Co", limit=1e6)
        held.with_company(self.company).write({"credit_hold": True, "credit_hold_reason": "Fraud check"})
        on_hold = self.make_order(held, 10.0)
        mine = big | small | free | confirmed | on_hold
        Order = self.env["sale.order"]
        self.assertEqual(Order.search([("credit_blocked", "=", True), ("id", "in", mine.ids)]), big | on_hold)
        self.assertEqual(Order.search([("credit_blocked", "=", False), ("id", "in", mine.ids)]),
                         small | free | confirmed)
        self.assertEqual(mine.filtered("credit_blocked"), big | on_hold)
        # The quotation list's filter is that domain.
        self.assertIn("credit_blocked", self.env.ref("credit_control.sale_order_view_search_credit").arch)
