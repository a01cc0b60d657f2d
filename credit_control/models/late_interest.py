"""Late-payment interest in plain Python: simple interest, day count actual/365.

No ORM here (as ``dunning_ladder``): the caller hands in an instalment's amount, its due date,
the payments made on it (date, amount) and the day to stop at; the rule is tested without a
database. The balance earns interest from the due date; each payment lowers it from its date.
"""


def accrued_interest(amount, date_due, payments, until, annual_rate, since=None):
    """Interest on an instalment of ``amount`` due on ``date_due``, paid by ``payments``
    (``(date, amount)`` pairs, in any order), from its due date (or ``since``, the day after the
    last interest charged, if later) to ``until`` (excluded), at ``annual_rate`` % a year.
    Unrounded: the caller rounds to its currency."""
    start = max(date_due, since) if since else date_due
    if not annual_rate or until <= start:
        return 0.0
    balance, day, total = amount, date_due, 0.0
    for paid_on, paid in sorted(payments):
        paid_on = min(max(paid_on, date_due), until)
        total += _segment(balance, day, paid_on, start, annual_rate)
        balance, day = balance - paid, paid_on
    total += _segment(balance, day, until, start, annual_rate)
    return total


def _segment(balance, day_from, day_to, start, annual_rate):
    """Interest on ``balance`` over the days from ``day_from`` to ``day_to``, counted from
    ``start`` only."""
    days = (day_to - max(day_from, start)).days
    if balance <= 0 or days <= 0:
        return 0.0
    return balance * annual_rate / 100.0 * days / 365.0
