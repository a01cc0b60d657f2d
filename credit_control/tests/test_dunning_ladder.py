"""The dunning ladder rule without a database.

``BaseCase`` rather than a bare ``unittest.TestCase``: Odoo's test runner only selects test
cases that carry test tags, which ``BaseCase`` gives; it opens no cursor.
"""
from datetime import date

from odoo.tests import BaseCase, tagged

from odoo.addons.credit_control.models.dunning_ladder import Ladder, Rung

REMINDER = Rung("reminder", 7)
CALL = Rung("call", 30, min_days_since_previous=7)
DEMAND = Rung("demand", 60, min_overdue_amount=500.0, min_days_since_previous=7)
COURTESY = Rung("courtesy", -3)
LEGAL = Rung("legal", 90, min_overdue_amount=500.0, min_days_since_previous=7)


@tagged("post_install", "-at_install")
class TestDunningLadder(BaseCase):

    def setUp(self):
        super().setUp()
        # Given in any order: the ladder sorts its rungs by days.
        self.ladder = Ladder([LEGAL, REMINDER, DEMAND, CALL], rounding=0.01)

    def test_highest_rung_reached(self):
        due = self.ladder.due
        self.assertIsNone(due(6, 1000.0))
        self.assertEqual(due(7, 1000.0), REMINDER)
        self.assertEqual(due(29, 1000.0), REMINDER)
        self.assertEqual(due(30, 1000.0), CALL)
        # An invoice found late skips the levels below the one it reached.
        self.assertEqual(due(95, 1000.0), LEGAL)

    def test_minimum_overdue_amount(self):
        """Below a rung's minimum amount the highest rung whose minimum is met applies."""
        self.assertEqual(self.ladder.due(95, 499.99), CALL)
        self.assertEqual(self.ladder.due(95, 500.0), LEGAL)
        # compared at the currency's rounding, not as raw floats
        self.assertEqual(self.ladder.due(95, 499.999), LEGAL)
        self.assertEqual(Ladder([DEMAND], rounding=1.0).due(60, 499.6), DEMAND)

    def test_never_twice_nor_backwards(self):
        due = self.ladder.due
        self.assertIsNone(due(10, 1000.0, done_days=[7]))
        self.assertEqual(due(30, 1000.0, done_days=[7], days_since_last=23), CALL)
        # A level done at or above the one reached (e.g. of another procedure) stops it.
        self.assertIsNone(due(35, 1000.0, done_days=[7, 45]))
        # Nothing done at all: the rung reached.
        self.assertEqual(due(8, 1000.0, done_days=[]), REMINDER)

    def test_wait_since_previous_step(self):
        due = self.ladder.due
        self.assertIsNone(due(30, 1000.0, done_days=[7], days_since_last=6))
        self.assertEqual(due(30, 1000.0, done_days=[7], days_since_last=7), CALL)
        # The first step of an item waits for nothing.
        self.assertEqual(due(30, 1000.0), CALL)
        # The reminder has no wait: the same day as another item's step is fine.
        self.assertEqual(due(7, 1000.0, days_since_last=0), REMINDER)

    def test_next_rung_and_its_date(self):
        self.assertEqual(self.ladder.next(), REMINDER)
        self.assertEqual(self.ladder.next([7]), CALL)
        self.assertEqual(self.ladder.next([7, 30]), DEMAND)
        self.assertIsNone(self.ladder.next([90]))
        due_date = date(2026, 1, 1)
        self.assertEqual(Ladder.next_date(REMINDER, due_date), date(2026, 1, 8))
        # Dunned on time: the next level falls due with its days.
        self.assertEqual(Ladder.next_date(CALL, due_date, date(2026, 1, 8)), date(2026, 1, 31))
        # Dunned late: the next level waits its days after that step.
        self.assertEqual(Ladder.next_date(CALL, due_date, date(2026, 1, 28)), date(2026, 2, 4))

    def test_courtesy_reminder_before_due(self):
        """A rung of negative days is due before the due date; once done it is not repeated
        and the ladder goes on after the due date."""
        ladder = Ladder([REMINDER, COURTESY, CALL], rounding=0.01)
        self.assertIsNone(ladder.due(-4, 0.0))
        self.assertEqual(ladder.due(-3, 0.0), COURTESY)
        self.assertEqual(ladder.due(0, 0.0), COURTESY)
        self.assertIsNone(ladder.due(-1, 0.0, done_days=[-3], days_since_last=2))
        self.assertEqual(ladder.due(7, 1000.0, done_days=[-3], days_since_last=10), REMINDER)
        self.assertEqual(ladder.next(), COURTESY)
        self.assertEqual(ladder.next([-3]), REMINDER)
        self.assertEqual(Ladder.next_date(COURTESY, date(2026, 1, 10)), date(2026, 1, 7))

    def test_empty_ladder(self):
        empty = Ladder([])
        self.assertFalse(empty)
        self.assertIsNone(empty.due(400, 1e9))
        self.assertIsNone(empty.next())
