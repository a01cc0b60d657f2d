"""Two confirmations for the same customer at the same moment cannot both pass.

These tests use real, committed transactions on separate connections, as concurrent web
requests would: fixtures are committed through their own cursor and removed afterwards.
"""
import threading

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.modules.registry import DummyRLock, Registry
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged

from odoo.addons.base.models.ir_cron import CompletionStatus
from odoo.addons.credit_control.models.credit_dunning_engine import ADVISORY_LOCK_SPACE, DunningStep


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
                    cr.commit()  # pylint: disable=invalid-commit  # a real concurrent transaction
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


@tagged("post_install", "-at_install", "credit_commit")
class TestConcurrentDunningBatches(TransactionCase):
    """Two dunning runs complete pending events side by side (the daily job and the executor
    job): each batch holds whole customers, and no customer is in two runs' batches at once."""

    def setUp(self):
        super().setUp()
        self.engine_class = type(self.env["credit.dunning.engine"])
        self.patch(self.engine_class, "_batch_size", 3)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            levels = env.ref("credit_control.credit_dunning_procedure_standard").level_ids.sorted("days_overdue")
            partners = env["res.partner"].create([{"name": f"Batch Co {i}", "is_company": True} for i in range(4)])
            # Customer 0 has two pending steps (two levels), the others one each.
            steps = [DunningStep(env.company, partners[0], levels[0]), DunningStep(env.company, partners[0], levels[1])]
            steps += [DunningStep(env.company, partner, levels[0]) for partner in partners[1:]]
            event_ids = env["credit.dunning.engine"]._insert_events(steps, fields.Date.today())
            self.partner_ids, self.company_id = partners.ids, env.company.id
        self.addCleanup(self._drop_fixture, event_ids)

    def _drop_fixture(self, event_ids):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM credit_dunning_event WHERE id = ANY(%s)", [event_ids])
            api.Environment(cr, SUPERUSER_ID, {})["res.partner"].browse(self.partner_ids).unlink()

    def _take(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env["res.company"].browse(self.company_id)
        partners = env["res.partner"].browse(self.partner_ids)
        return [event.partner_id.id for event in env["credit.dunning.engine"]._take_batch(company, partners)]

    def test_runs_take_whole_distinct_customers(self):
        p0, p1, p2, p3 = self.partner_ids
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b, self.registry.cursor() as cr_c:
            # A's three rows end with customer 1, whose further events could lie beyond the
            # limit: A takes customer 0's two events only (and leaves customer 1 locked).
            self.assertEqual(self._take(cr_a), [p0, p0])
            # Another run holds customer 3 (advisory lock): B skips A's rows and customer 3.
            cr_c.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_SPACE, p3])
            self.assertEqual(self._take(cr_b), [p2])
            cr_b.rollback()
            cr_c.rollback()
            # A's batch ends: its customers are free again (still pending: A completed nothing).
            cr_a.rollback()
            self.assertEqual(self._take(cr_b), [p0, p0])
            # Customer 1, cut from B's batch again, stays locked by B until B's batch ends.
            self.assertEqual(self._take(cr_c), [p2, p3])
            cr_b.rollback()
            cr_c.rollback()

    def test_job_reports_only_what_it_can_take(self):
        """While another run holds the pending events, the executor job reports none left for
        itself: the scheduler does not call it again at once ("processed no record")."""
        p0, _p1, _p2, _p3 = self.partner_ids
        last_progress = self.env["ir.cron.progress"].search([], order="id desc", limit=1).id or 0
        self.addCleanup(self._drop_progress, last_progress)
        cron = self.env.ref("credit_control.ir_cron_credit_dunning_execute")
        job = {**cron.read(load=None)[0], "timed_out_counter": 0, "done": 0, "remaining": 0}
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            # A holds customer 0 (and, cut by the batch limit, customer 1's row): B may take the
            # events of customers 1 to 3.
            self.assertEqual(self._take(cr_a), [p0, p0])
            env_b = api.Environment(cr_b, SUPERUSER_ID, {})
            company = env_b["res.company"].browse(self.company_id)
            self.assertEqual(env_b["credit.dunning.engine"]._count_pending(company), 3)
            cr_a.rollback()
            # A holds every pending event: the job takes none and reports none remaining.
            self.patch(self.engine_class, "_batch_size", 10)
            self.assertEqual(len(self._take(cr_a)), 5)
            self.assertEqual(env_b["credit.dunning.engine"]._count_pending(company), 0)
            cr_b.rollback()
            # The job's registry check would try the test mode's read-only pool first, and warn.
            self.patch(self.registry, "_db_readonly", None)
            with self.assertNoLogs("odoo.addons.base.models.ir_cron", "WARNING"):
                status = self.registry["ir.cron"]._run_job(job)
            self.assertEqual(status, CompletionStatus.FULLY_DONE)
            cr_a.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            progress = env["ir.cron.progress"].search([("cron_id", "=", cron.id), ("id", ">", last_progress)])
            self.assertEqual([(p.done, p.remaining) for p in progress], [(0, 0)])
            states = env["credit.dunning.event"].search([("partner_id", "in", self.partner_ids)]).mapped("state")
        self.assertEqual(states, ["pending"] * 5)

    def _drop_progress(self, last_progress):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM ir_cron_progress WHERE id > %s", [last_progress])

    def test_run_now_refused_cleanly_after_a_job_wrote_its_row(self):
        """A job that ran since the manager's transaction began wrote its cron row: locking it
        fails to serialize (this test's transaction began before). *Run now* refuses as while a
        job runs: no raw error, no ERROR log."""
        cron = self.env.ref("credit_control.ir_cron_credit_dunning_execute")
        with self.registry.cursor() as cr:
            cr.execute("UPDATE ir_cron SET lastcall = lastcall WHERE id = %s", [cron.id])
        engine = self.env["credit.dunning.engine"].with_user(self.env.ref("base.user_admin"))
        with self.assertNoLogs("odoo.sql_db", "ERROR"), \
                self.assertRaisesRegex(UserError, "running right now"):
            engine._run_manual(self.env["res.company"].browse(self.company_id))
