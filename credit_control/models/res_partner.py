from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from .credit_value_bounds import AMOUNT, DATES

# Fields whose changes only credit managers may make and that are audited.
CREDIT_MANAGED_FIELDS = {
    "credit_limit": "limit",
    "use_partner_credit_limit": "limit",
    "credit_grade_id": "grade",
    "credit_hold": "hold",
    "credit_hold_reason": "hold",
}


class ResPartner(models.Model):
    """Credit profile of a customer, per company (on the commercial partner).

    Grade, hold and review date are company-dependent like core's ``credit_limit``, which is
    reused as the limit. The figures come from the one exposure engine.
    """

    _name = "res.partner"
    _inherit = ["res.partner", "credit.value.bounds"]

    credit_limit = fields.Float(tracking=True)
    credit_grade_id = fields.Many2one(
        "credit.grade", company_dependent=True, tracking=True,
        domain="[('company_id', 'in', [current_company_id, False])]")
    credit_hold = fields.Boolean(
        company_dependent=True, tracking=True,
        help="No credit sale is confirmed for a customer on hold.")
    credit_hold_reason = fields.Char(string="Hold Reason", company_dependent=True, tracking=True)
    credit_review_date = fields.Date(
        string="Next Credit Review", company_dependent=True, tracking=True,
        help="Set from the grade's review interval when the grade changes.")
    credit_external_rating = fields.Char(string="External Rating", tracking=True)
    credit_rating_source = fields.Char(string="Rating Source", help="Agency or insurer that rated the customer.")
    credit_rating_date = fields.Date(string="Rating Date")

    credit_currency_id = fields.Many2one("res.currency", compute="_compute_credit_figures")
    credit_receivable = fields.Monetary(
        string="Receivable", currency_field="credit_currency_id", compute="_compute_credit_figures")
    credit_draft_invoices = fields.Monetary(
        string="Draft Invoices", currency_field="credit_currency_id", compute="_compute_credit_figures")
    credit_uninvoiced_orders = fields.Monetary(
        string="Orders not Invoiced", currency_field="credit_currency_id",
        compute="_compute_credit_figures")
    credit_exposure = fields.Monetary(
        string="Total Exposure", currency_field="credit_currency_id", compute="_compute_credit_figures")
    credit_available = fields.Monetary(
        string="Available Credit", currency_field="credit_currency_id", compute="_compute_credit_figures")
    credit_overdue_amount = fields.Monetary(
        string="Overdue", currency_field="credit_currency_id", compute="_compute_credit_figures")
    credit_oldest_overdue_days = fields.Integer(
        string="Oldest Overdue (days)", compute="_compute_credit_figures")
    credit_is_manager = fields.Boolean(compute="_compute_credit_is_manager")
    credit_audit_log_ids = fields.One2many(
        "credit.audit.log", "partner_id", string="Credit Decisions", readonly=True)

    @api.constrains("company_registry", "country_id")
    def _check_credit_company_registry(self):
        """A Chinese company ID must be a valid unified social credit code."""
        for partner in self:
            if partner.company_registry and partner.country_id.code == "CN":
                try:
                    uscc.validate(partner.company_registry)
                except stdnum_exceptions.ValidationError as error:
                    raise ValidationError(self.env._(
                        "%(number)s is not a valid unified social credit code for %(partner)s: %(error)s",
                        number=partner.company_registry, partner=partner.display_name,
                        error=str(error))) from error

    @api.model
    def _check_vat_number(self, country_code, vat_number):
        # VAT numbers themselves are base_vat's. It checks a Greek number under its VAT prefix
        # "EL", which python-stdnum only knows as "gr": without this every EL number passes.
        if country_code.upper() == "EL":
            country_code = "GR"
        return super()._check_vat_number(country_code, vat_number)

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "credit_limit": AMOUNT, "credit_review_date": DATES,
                "credit_rating_date": DATES}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "credit_grade_id")

    @api.constrains("credit_limit", "credit_grade_id")
    def _check_credit_limit_policy(self):
        for partner in self:
            cap = partner.credit_grade_id.max_credit_limit
            currency = self.env.company.currency_id
            if cap and currency.compare_amounts(partner.credit_limit, cap) > 0:
                raise ValidationError(self.env._(
                    "The credit limit of %(partner)s (%(limit)s) is above the cap of grade "
                    "%(grade)s (%(cap)s).", partner=partner.display_name,
                    limit=partner.credit_limit, grade=partner.credit_grade_id.display_name, cap=cap))

    @api.constrains("credit_hold", "credit_hold_reason")
    def _check_credit_hold_reason(self):
        for partner in self:
            if partner.credit_hold and not (partner.credit_hold_reason or "").strip():
                raise ValidationError(self.env._(
                    "Give a reason for putting %(partner)s on credit hold.", partner=partner.display_name))

    @api.depends_context("uid")
    def _compute_credit_is_manager(self):
        self.credit_is_manager = self.env.user.has_group("credit_control.group_credit_manager")

    @api.depends_context("company")
    def _compute_credit_figures(self):
        company = self.env.company
        figures = self.env["credit.exposure.engine"]._compute_figures(self, company)
        for partner in self:
            values = figures[(partner.commercial_partner_id.id, company.id)]
            partner.credit_currency_id = values["currency"]
            partner.credit_receivable = values["receivable"]
            partner.credit_draft_invoices = values["draft_invoices"]
            partner.credit_uninvoiced_orders = values["uninvoiced_orders"]
            partner.credit_exposure = values["exposure"]
            partner.credit_available = values["available"] if values["credit_limit"] > 0 else 0.0
            partner.credit_overdue_amount = values["overdue_amount"]
            partner.credit_oldest_overdue_days = values["oldest_overdue_days"]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_credit_manager_rights(vals, creating=True)
        vals_list = [self._credit_with_review_date(vals) for vals in vals_list]
        partners = super().create(vals_list)
        default_grade = self.env.company.credit_default_grade_id
        for partner, vals in zip(partners, vals_list, strict=True):
            if default_grade and partner.is_company and not vals.get("credit_grade_id"):
                # The company's own policy, not the user's choice: applied whatever the user's rights.
                partner.sudo().write({"credit_grade_id": default_grade.id})
            partner._credit_audit_changes({partner.id: {}}, vals)
        return partners

    def write(self, vals):
        self._check_credit_manager_rights(vals)
        audited = [f for f in CREDIT_MANAGED_FIELDS if f in vals]
        old = {p.id: {f: p.sudo()[f] for f in audited} for p in self} if audited else {}
        result = super().write(self._credit_with_review_date(vals))
        if audited:
            self._credit_audit_changes(old, vals)
        return result

    def _credit_with_review_date(self, vals):
        """A new grade sets the next review date from its interval, unless one is given."""
        if vals.get("credit_grade_id") and "credit_review_date" not in vals:
            field = self._fields["credit_grade_id"]
            # What the ORM makes of the value; a malformed one is refused by the bounds check.
            grade = field.convert_to_record(field.convert_to_cache(vals["credit_grade_id"], self), self)
            if grade.exists():
                return dict(vals, credit_review_date=grade._next_review_date())
        return vals

    def _check_credit_manager_rights(self, vals, creating=False):
        """Only credit managers set limits, grades and holds: core lets any billing user
        write ``credit_limit``, so the check is here and not only in views."""
        if self.env.su or self.env.user.has_group("credit_control.group_credit_manager"):
            return
        for fname in CREDIT_MANAGED_FIELDS:
            if fname not in vals:
                continue
            new = vals[fname]
            if creating:
                changed = bool(new)
            else:
                field = self._fields[fname]
                new_value = field.convert_to_record(field.convert_to_cache(new, self), self)
                changed = any(p.sudo()[fname] != new_value for p in self)
            if changed:
                raise AccessError(self.env._(
                    "Only a credit manager can change the credit limit, grade or hold of a customer."))

    def _credit_audit_changes(self, old, vals):
        """Write an audit row for each managed value that changed (context cannot skip it);
        ``old`` holds each partner's values before the write (empty when creating)."""
        log = self.env["credit.audit.log"]
        reason, document = self._credit_audit_origin()
        rows = []
        for partner in self:
            before_values = old[partner.id]
            for fname, event in CREDIT_MANAGED_FIELDS.items():
                if fname not in vals or fname == "use_partner_credit_limit":
                    continue
                before = before_values.get(fname)
                after = partner.sudo()[fname]
                if (before_values and before == after) or (not before_values and not after):
                    continue
                rows.append(log._row(
                    event, partner, self.env.company,
                    old=self._credit_audit_value(before), new=self._credit_audit_value(after),
                    reason=reason or (partner.sudo().credit_hold_reason if fname == "credit_hold" else None),
                    document=document))
        if rows:
            log._log_rows(rows)

    def _credit_audit_origin(self):
        """``(reason, document)`` the server code making a change gives its audit rows through
        the context (``credit_audit_reason``, ``credit_audit_document`` as ``(model, id)``):
        e.g. the credit warning whose rule cut the limit. Text and a link only, never a right:
        a document is kept only if it is a record of a model listed here that exists."""
        reason = self.env.context.get("credit_audit_reason")
        origin = self.env.context.get("credit_audit_document")
        document = None
        if isinstance(origin, (tuple, list)) and len(origin) == 2 and origin[0] in ("credit.warning",) \
                and isinstance(origin[1], int):
            document = self.env[origin[0]].sudo().browse(origin[1]).exists() or None
        return (str(reason) if reason else None), document

    @staticmethod
    def _credit_audit_value(value):
        if isinstance(value, models.BaseModel):
            return value.display_name or ""
        if value is None:
            return ""
        return value
