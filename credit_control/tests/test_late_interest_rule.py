"""The late-payment interest rule without a database (``BaseCase``: tagged, no cursor)."""
from datetime import date

from odoo.tests import BaseCase, tagged

from odoo.addons.credit_control.models.late_interest import accrued_interest

DUE = date(2026, 1, 1)


@tagged("post_install", "-at_install")
class TestLateInterestRule(BaseCase):

    def test_simple_actual_365(self):
        # 1,000 at 10 % for 73 days: 1000 × 0.10 × 73 / 365 = 20.00
        self.assertAlmostEqual(accrued_interest(1000.0, DUE, [], date(2026, 3, 15), 10.0), 20.0)
        self.assertEqual(accrued_interest(1000.0, DUE, [], DUE, 10.0), 0.0)
        self.assertEqual(accrued_interest(1000.0, DUE, [], date(2026, 3, 15), 0.0), 0.0)

    def test_partial_payments(self):
        # 1,000 for 31 days, 600 for 28 days, then paid: 1000×.1×31/365 + 600×.1×28/365
        payments = [(date(2026, 3, 1), 600.0), (date(2026, 2, 1), 400.0)]
        expected = 1000 * 0.1 * 31 / 365 + 600 * 0.1 * 28 / 365
        self.assertAlmostEqual(accrued_interest(1000.0, DUE, payments, date(2026, 6, 1), 10.0), expected)
        # A payment before the due date only lowers the balance.
        self.assertAlmostEqual(
            accrued_interest(1000.0, DUE, [(date(2025, 12, 20), 500.0)], date(2026, 1, 11), 10.0),
            500 * 0.1 * 10 / 365)

    def test_since_last_charge(self):
        # Charged up to 31 January: from 1 February only, never the same days twice.
        whole = accrued_interest(1000.0, DUE, [], date(2026, 3, 1), 10.0)
        first = accrued_interest(1000.0, DUE, [], date(2026, 2, 1), 10.0)
        rest = accrued_interest(1000.0, DUE, [], date(2026, 3, 1), 10.0, since=date(2026, 2, 1))
        self.assertAlmostEqual(first + rest, whole)
        self.assertAlmostEqual(rest, 1000 * 0.1 * 28 / 365)
