import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .credit_value_bounds import DATES


def _normalize(identifier):
    """An identifier as compared with VAT numbers and company registries: letters and digits only,
    upper case (``BE 0477.472.701`` matches ``BE0477472701``)."""
    return re.sub(r"[^0-9A-Z]", "", (identifier or "").upper())


class CreditRating(models.Model):
    """An external rating of a customer on a date: the history is kept, the latest rating per
    agency feeds the scorecard (:meth:`_latest_scores`).

    Ratings are imported with Odoo's standard import: besides the Customer column, the
    *Customer Identifier* column finds the customer by VAT number, company registry (USCC in
    China) or exact name, in that order. A row whose customer is not found, or is found more
    than once, is refused with its own error, and then nothing of the file is imported.
    """

    _name = "credit.rating"
    _description = "External Credit Rating"
    _inherit = ["mail.thread", "credit.value.bounds"]
    _order = "date desc, id desc"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade",
        tracking=True, domain="[('is_company', '=', True)]")
    partner_identifier = fields.Char(
        string="Customer Identifier",
        help="On import: VAT number, company registry (USCC) or exact name of the customer, used "
        "to find it when no Customer is given.")
    agency_id = fields.Many2one("credit.rating.agency", required=True, index=True,
                                ondelete="restrict", tracking=True)
    score = fields.Float(digits=(16, 2), tracking=True,
                         help="The rating as a number on the agency's scale: what the scorecard scores.")
    grade = fields.Char(tracking=True, help="The rating as the agency words it (e.g. \"BB+\"), if any.")
    date = fields.Date(required=True, default=fields.Date.context_today, index=True, tracking=True)
    source_document = fields.Char(help="Report number or reference of the agency's document.")
    note = fields.Text()

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "date": DATES, "score": (-1e6, 1e6)}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "partner_id", "agency_id")

    @api.depends("agency_id.name", "grade", "score", "date")
    def _compute_display_name(self):
        for rating in self:
            value = rating.grade or f"{rating.score:g}"
            rating.display_name = f"{rating.agency_id.name or ''} {value} ({rating.date or ''})"

    @api.model
    def get_import_templates(self):
        return [{"label": self.env._("Import Template for External Ratings"),
                 "template": "/credit_control/static/xls/credit_rating_import_template.csv"}]

    @api.model_create_multi
    def create(self, vals_list):
        missing = [vals for vals in vals_list if not vals.get("partner_id")]
        if missing:
            found = self._find_customers([vals.get("partner_identifier") for vals in missing])
            for vals in missing:
                vals["partner_id"] = found[_normalize(vals.get("partner_identifier"))]
        ratings = super().create(vals_list)
        ratings._check_partner_commercial()
        return ratings

    def _check_partner_commercial(self):
        for rating in self:
            if rating.partner_id != rating.partner_id.commercial_partner_id:
                raise ValidationError(self.env._(
                    "%(partner)s is a contact: rate the company %(company)s instead.",
                    partner=rating.partner_id.display_name,
                    company=rating.partner_id.commercial_partner_id.display_name))

    @api.model
    def _find_customers(self, identifiers):
        """``{normalized identifier: partner id}`` of the customers (commercial partners)
        found by VAT number, then company registry, then exact name, with one query.
        Raise a ValidationError naming the first identifier found nowhere or more than once."""
        wanted = {_normalize(identifier): identifier for identifier in identifiers}
        names = [identifier.strip() for identifier in identifiers if identifier and identifier.strip()]
        self.env["res.partner"].flush_model(["vat", "company_registry", "name", "commercial_partner_id", "active"])
        self.env.cr.execute(SQL(
            """
            SELECT p.id, regexp_replace(upper(COALESCE(p.vat, '')), '[^0-9A-Z]', '', 'g'),
                   regexp_replace(upper(COALESCE(p.company_registry, '')), '[^0-9A-Z]', '', 'g'),
                   p.name
              FROM res_partner p
             WHERE p.active AND p.id = p.commercial_partner_id
               AND (regexp_replace(upper(COALESCE(p.vat, '')), '[^0-9A-Z]', '', 'g') = ANY(%(keys)s)
                    OR regexp_replace(upper(COALESCE(p.company_registry, '')), '[^0-9A-Z]', '', 'g') = ANY(%(keys)s)
                    OR p.name = ANY(%(names)s))
            """, keys=[key for key in wanted if key], names=names))
        rows = self.env.cr.fetchall()
        found = {}
        for key, identifier in wanted.items():
            if not key:
                raise ValidationError(self.env._(
                    "A rating needs a customer: give the Customer or its VAT number, company registry or name."))
            for column in (1, 2, 3):
                matches = {row[0] for row in rows if (
                    row[column] == identifier.strip() if column == 3 else row[column] == key)}
                if len(matches) > 1:
                    raise ValidationError(self.env._(
                        "Customer \"%(identifier)s\" is ambiguous: %(count)s customers match it.",
                        identifier=identifier, count=len(matches)))
                if matches:
                    found[key] = matches.pop()
                    break
            else:
                raise ValidationError(self.env._(
                    "No customer has the VAT number, company registry or name \"%(identifier)s\".",
                    identifier=identifier))
        return found

    @api.model
    def _latest_scores(self, partner_ids, date):
        """``{partner_id: {agency_id: score}}`` of the latest rating on or before ``date`` of each
        customer by each agency (one query)."""
        self.flush_model(["partner_id", "agency_id", "date", "score"])
        self.env.cr.execute(SQL(
            """
            SELECT DISTINCT ON (r.partner_id, r.agency_id) r.partner_id, r.agency_id, r.score
              FROM credit_rating r
             WHERE r.partner_id = ANY(%s) AND r.date <= %s
             ORDER BY r.partner_id, r.agency_id, r.date DESC, r.id DESC
            """, list(partner_ids), date))
        result = {}
        for pid, agency_id, score in self.env.cr.fetchall():
            result.setdefault(pid, {})[agency_id] = score
        return result
