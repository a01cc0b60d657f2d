"""The dunning ladder rule in plain Python: which level an overdue item gets, and which next.

No ORM here (as mis-builder's engine): the callers hand plain values in — how many days the
item is late (negative before its due date: a rung of negative days is a courtesy reminder
before the due date), the customer's overdue amount, the days of the levels already done for it, the
days since its last step — so that the daily run, the preview and the invoice form apply one
rule, whether the item is an invoice or one instalment of it, and the rule is tested without a
database (``tests/test_dunning_ladder.py``).
"""
from dataclasses import dataclass
from typing import Any

from odoo.tools.float_utils import float_compare

from .credit_value_bounds import shift_date


@dataclass(frozen=True)
class Rung:
    """One level of a ladder, as plain values; ``key`` is what the caller knows it by."""

    key: Any
    days_overdue: int
    min_overdue_amount: float = 0.0
    min_days_since_previous: int = 0


class Ladder:
    """The levels of one procedure in the order they are due, amounts compared at ``rounding``
    (the company currency's)."""

    def __init__(self, rungs, rounding=0.01):
        self.rungs = sorted(rungs, key=lambda rung: rung.days_overdue)
        self.rounding = rounding

    def __bool__(self):
        return bool(self.rungs)

    @staticmethod
    def _highest(done_days):
        """The days of the highest rung done, or None when none is (rungs may be negative)."""
        return max(done_days, default=None)

    def reached(self, days_overdue, overdue_amount):
        """The highest rung an item ``days_overdue`` days late reaches for a customer owing
        ``overdue_amount`` overdue, or None."""
        return next((rung for rung in reversed(self.rungs)
                     if rung.days_overdue <= days_overdue
                     and float_compare(overdue_amount, rung.min_overdue_amount,
                                       precision_rounding=self.rounding) >= 0), None)

    def due(self, days_overdue, overdue_amount, done_days=(), days_since_last=None):
        """The rung a run executes for an item: the highest one it reached, unless a rung at
        least as high was done for it (``done_days``: the days of the levels done) or its
        last step (``days_since_last`` days ago, None if none) is more recent than the rung
        waits for. None when nothing is due."""
        rung = self.reached(days_overdue, overdue_amount)
        highest = self._highest(done_days)
        if rung is None or (highest is not None and highest >= rung.days_overdue):
            return None
        if days_since_last is not None and days_since_last < rung.min_days_since_previous:
            return None
        return rung

    def next(self, done_days=()):
        """The first rung above the highest one done for an item (``done_days``), or None."""
        highest = self._highest(done_days)
        return next((rung for rung in self.rungs if highest is None or rung.days_overdue > highest), None)

    @staticmethod
    def next_date(rung, date_due, last_date=None):
        """The day ``rung`` falls due for an item due on ``date_due`` whose last step was on
        ``last_date``: its days after the due date, and its wait after the last step."""
        day = shift_date(date_due, days=rung.days_overdue)
        return max(day, shift_date(last_date, days=rung.min_days_since_previous)) if last_date else day
