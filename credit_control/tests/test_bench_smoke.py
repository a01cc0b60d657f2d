"""Smoke run of the benchmark data generator (bench/datagen.py) at a few hundred records.

The generator lives next to the add-on in the source repository, not in the add-on: when the
add-on is installed elsewhere the test is skipped.
"""
import importlib.util
import os

from odoo.tests import TransactionCase, tagged

DATAGEN = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bench", "datagen.py")


def _load_datagen():
    spec = importlib.util.spec_from_file_location("credit_control_bench_datagen", DATAGEN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestBenchSmoke(TransactionCase):

    def setUp(self):
        super().setUp()
        if not os.path.isfile(DATAGEN):
            self.skipTest("bench/datagen.py is not next to the add-on (installed outside its repository)")
        self.datagen = _load_datagen()

    def test_generator_consistency(self):
        datagen = self.datagen
        env = self.env
        summary = datagen.generate(env, "XS", seed=7, log=lambda *a: None,
                                   params=dict(customers=25, invoices=200, orders=25, big_open=30))
        datagen.apply_credit_profile(env, seed=7, log=lambda *a: None)
        figures = datagen.check_consistency(env, seed=7)

        # counts: 25 customers + the two reference customers; every invoice posted
        self.assertEqual(figures["customers"], 27)
        self.assertEqual(figures["posted_invoices"], summary["invoices"])
        self.assertGreaterEqual(summary["invoices"], 200 + 10 + 30)
        self.assertEqual(figures["confirmed_orders"], 25)
        self.assertEqual(figures["receivable_lines"], summary["receivable_lines"])
        # Odoo's own numbers: receivable balance = sum of residuals
        self.assertAlmostEqual(figures["receivable_balance"], figures["receivable_residual"], places=2)
        # about half the invoices are paid, some partly, the rest open; two currencies
        moves = env["account.move"].search([("partner_id", "in", datagen.bench_partners(env).ids),
                                            ("move_type", "=", "out_invoice")])
        states = set(moves.mapped("payment_state"))
        self.assertTrue({"paid", "partial", "not_paid"} <= states, states)
        self.assertEqual(len(moves.currency_id), 2)
        # the reference customers: 10 and 30 open invoices
        small = env["res.partner"].search([("ref", "=", datagen.SMALL_REF)])
        big = env["res.partner"].search([("ref", "=", datagen.BIG_REF)])
        self.assertEqual(len(moves.filtered(lambda m: m.partner_id == small and m.payment_state == "not_paid")), 10)
        self.assertEqual(len(moves.filtered(lambda m: m.partner_id == big and m.payment_state == "not_paid")), 30)
        # every customer has a limit and a grade; the exposure engine sees the generated data
        partners = datagen.bench_partners(env)
        self.assertTrue(all(p.credit_limit > 0 for p in partners))
        self.assertTrue(all(p.credit_grade_id for p in partners))
        engine = env["credit.exposure.engine"]
        exposure = engine._compute_figures(partners, env.company)
        receivable = sum(f["receivable"] for f in exposure.values())
        self.assertAlmostEqual(receivable, figures["receivable_residual"], places=2)
