"""Ranges of the add-on's settings, checked before a value reaches the database, and date
arithmetic that never overflows.

A grade reviewed every 10**9 months, a dunning level due 10**9 days late or a credit limit of
1e308 are not business settings: they overflow Python's dates and floats (or PostgreSQL's
integers) later, in code far from the form where they were typed. Each model lists the range of
its numeric and date fields in :meth:`CreditValueBounds._credit_bounds`; the check runs on the
values given to ``create`` and ``write`` (so also on import and copy) and on ``default_*``
context keys, before the ORM writes anything.
"""
import math
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date, formatLang

MAX_DAYS = 3650  # ten years: the longest tolerance, deadline or dunning delay
MAX_MONTHS = 120  # ten years between two credit reviews
# A trillion: above any credit limit, and small enough for Odoo's float rounding to keep every
# cent exact (at 1e13 it already drifts by a cent).
MAX_AMOUNT = 1e12

DAYS = (0, MAX_DAYS)
MONTHS = (0, MAX_MONTHS)
PERCENT = (0.0, 100.0)
AMOUNT = (0.0, MAX_AMOUNT)
SEQUENCE = (0, 1_000_000)
DATES = (date(1900, 1, 1), date(2999, 12, 31))


def shift_date(day, days=0, months=0):
    """``day`` moved by ``days`` and ``months``; past the calendar's range, its first or last
    day (a deadline that far away is "never"), instead of an overflow error."""
    try:
        return day + relativedelta(months=months, days=days)
    except (OverflowError, ValueError):
        return date.max if months * 31 + days > 0 else date.min


class CreditValueBounds(models.AbstractModel):
    """Models whose settings have a business range: see the module docstring."""

    _name = "credit.value.bounds"
    _description = "Credit Settings with a Range"

    @api.model
    def _credit_bounds(self):
        """``{field name: (lowest, highest)}`` of the bounded numeric and date fields."""
        return {}

    @api.model
    def _credit_record_fields(self):
        """Many2one fields that must be given a record (an id), not 1.5 or True: the ORM
        would keep such a value out of its cache but write it to the database (or, for a
        company-dependent field, to its JSON), where it breaks later reads."""
        return ()

    @api.model_create_multi
    def create(self, vals_list):
        defaults = {fname[8:]: value for fname, value in self.env.context.items()
                    if fname.startswith("default_")}
        for vals in vals_list:
            self._check_credit_values({**defaults, **vals})
        return super().create(vals_list)

    def write(self, vals):
        self._check_credit_values(vals)
        return super().write(vals)

    @api.model
    def _check_credit_values(self, vals):
        """Raise a ValidationError a user understands for a value of ``vals`` out of its
        range or a malformed record reference. Values of the wrong type altogether (text for
        a number) are left to the ORM, which rejects them itself."""
        for fname, (low, high) in self._credit_bounds().items():
            if fname in vals:
                self._check_credit_bound(self._fields[fname], vals[fname], low, high)
        for fname in self._credit_record_fields():
            if fname in vals:
                self._check_credit_record(self._fields[fname], vals[fname])

    @api.model
    def _check_credit_bound(self, field, value, low, high):
        if field.type == "date":
            if not value:
                if field.required:
                    raise ValidationError(self.env._(
                        "%(field)s is required.", field=field._description_string(self.env)))
                return
            try:
                value = fields.Date.to_date(value)
            except (TypeError, ValueError):
                return
            if not low <= value <= high:
                raise ValidationError(self.env._(
                    "%(field)s must be between %(low)s and %(high)s (got %(value)s).",
                    field=field._description_string(self.env), low=format_date(self.env, low),
                    high=format_date(self.env, high), value=value))
            return
        try:
            number = float(value or 0)
        except (TypeError, ValueError):
            return
        if not (math.isfinite(number) and low <= number <= high):
            digits = 0 if field.type == "integer" else 2
            raise ValidationError(self.env._(
                "%(field)s must be between %(low)s and %(high)s (got %(value)s).",
                field=field._description_string(self.env),
                low=formatLang(self.env, low, digits=digits), high=formatLang(self.env, high, digits=digits),
                value=value))

    @api.model
    def _check_credit_record(self, field, value):
        if value is False or value is None or isinstance(value, models.BaseModel):
            return
        if type(value) is not int or value <= 0:
            raise ValidationError(self.env._(
                "%(field)s must be a record of %(model)s (got %(value)r).",
                field=field._description_string(self.env),
                model=self.env["ir.model"]._get(field.comodel_name).name, value=value))
        # A company-dependent value has no foreign key: check that the record exists.
        if field.company_dependent and not self.env[field.comodel_name].sudo().browse(value).exists():
            raise ValidationError(self.env._(
                "%(field)s: the record %(value)s of %(model)s does not exist.",
                field=field._description_string(self.env), value=value,
                model=self.env["ir.model"]._get(field.comodel_name).name))
