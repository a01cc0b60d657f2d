"""Two confirmations for the same customer at the same moment cannot both pass.

These tests use real, committed transactions on separate connections, as concurrent web
requests would: fixtures are committed through their own cursor and removed afterwards.
"""
import threading

from odoo import Command, SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.modules.registry import DummyRLock, Registry
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install", "credit_commit")
class TestConcurrentConfirmation(TransactionCase):

    def _fixture(self, order_amounts, limit=1000.0):
        """Commit a customer with ``limit`` and one draft order per amount; return ids."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            product = env["product.product"].create({
                "name": "Race product", "type": "service", "taxes_id": [Command.clear()]})
            partner = env["res.partner"].create({"name": "Race Co", "is_company": True})
            partner.credit_limit = limit
            orders = env["sale.order"].create([{
                "partner_id": partner.id,
                "order_line": [Command.create({
                    "product_id": product.id, "price_unit": amount, "tax_ids": [Command.clear()]})],
            } for amount in order_amounts])
            ids = (partner.id, product.id, orders.ids)
        self.addCleanup(self._drop_fixture, *ids)
        return ids

    def _drop_fixture(self, partner_id, product_id, order_ids):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            orders = env["sale.order"].browse(order_ids)
            orders.filtered(lambda o: o.state == "sale").with_context(disable_cancel_warning=True)._action_cancel()
            orders.unlink()
            env["res.partner"].browse(partner_id).unlink()
            env["product.product"].browse(product_id).unlink()

    def _confirm(self, order_id, cursor):
        env = api.Environment(cursor, SUPERUSER_ID, {})

        def confirm():
            env["sale.order"].browse(order_id).action_confirm()
        return env, confirm

    def _states(self, order_ids):
        with self.registry.cursor() as cr:
            return api.Environment(cr, SUPERUSER_ID, {})["sale.order"].browse(order_ids).mapped("state")

    def test_two_cursors_second_is_retried_then_blocked(self):
        _partner, _product, (order_a, order_b) = self._fixture([600.0, 600.0])
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_b, confirm_b = self._confirm(order_b, cr_b)
            # B takes its snapshot first: it does not see A's order.
            self.assertEqual(env_b["sale.order"].browse(order_b).state, "draft")
            _env_a, confirm_a = self._confirm(order_a, cr_a)
            confirm_a()
            cr_a.commit()
            # B's check writes the row A wrote: serialization failure, retried, then blocked.
            with self.assertRaisesRegex(UserError, "Credit limit exceeded"):
                retrying(confirm_b, env_b)
            cr_b.rollback()
        self.assertEqual(self._states([order_a, order_b]), ["sale", "draft"])

    def test_threaded_race(self):
        self.patch(Registry, "_lock", DummyRLock())  # worker threads open registries too
        _partner, _product, order_ids = self._fixture([300.0] * 5)
        barrier = threading.Barrier(len(order_ids))
        outcome = {}

        def worker(order_id):
            with self.registry.cursor() as cr:
                env, confirm = self._confirm(order_id, cr)
                env["sale.order"].browse(order_id).read(["state"])  # snapshot before the race
                barrier.wait(timeout=30)
                try:
                    retrying(confirm, env)
                    cr.commit()
                    outcome[order_id] = "confirmed"
                except UserError:
                    cr.rollback()
                    outcome[order_id] = "blocked"
                except Exception as error:  # noqa: BLE001 - any other error fails the test below
                    cr.rollback()
                    outcome[order_id] = repr(error)

        threads = [threading.Thread(target=worker, args=(oid,)) for oid in order_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(sorted(outcome.values()), ["blocked"] * 2 + ["confirmed"] * 3)
        self.assertEqual(sorted(self._states(order_ids)), ["draft"] * 2 + ["sale"] * 3)
