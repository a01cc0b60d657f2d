from odoo import api, fields, models
from odoo.exceptions import UserError

CHANGE_TYPES = [("bank", "Bank account"), ("identity", "Identity")]


class CreditPartnerChange(models.Model):
    """Append-only history of the changes that credit monitoring watches on a customer: its
    bank accounts (created, changed, removed) and its identity (name, VAT, company registry,
    address of the commercial partner).

    Rows are written as the changes happen, by the server code of ``res.partner.bank`` and
    ``res.partner`` (one ``create`` for all the records of a write), whatever the caller's
    rights or context; the daily warning job counts them per customer.
    """

    _name = "credit.partner.change"
    _description = "Customer Change History"
    _order = "date desc, id desc"
    _rec_name = "field_label"

    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True, index=True)
    user_id = fields.Many2one(
        "res.users", string="By", required=True, readonly=True, default=lambda self: self.env.user)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade",
        help="The commercial partner whose data changed.")
    company_id = fields.Many2one(
        "res.company", readonly=True, index=True,
        help="Company of the bank account when it belongs to one company only.")
    change_type = fields.Selection(CHANGE_TYPES, required=True, readonly=True, index=True)
    operation = fields.Selection(
        [("create", "Added"), ("write", "Changed"), ("unlink", "Removed")], required=True, readonly=True)
    field_label = fields.Char(string="What", required=True, readonly=True)
    old_value = fields.Char(readonly=True)
    new_value = fields.Char(readonly=True)
    bank_account = fields.Char(readonly=True, help="Account number of the bank account concerned.")

    _partner_date_idx = models.Index("(partner_id, change_type, date)")

    def write(self, vals):  # pylint: disable=method-required-super  # append-only, never changed
        raise UserError(self.env._("The change history of a customer cannot be changed."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("The change history of a customer cannot be deleted."))

    @api.model
    def _record(self, rows):
        """Append the change rows ``rows`` (dicts of field values) at once, whatever the
        caller's rights or context."""
        if rows:
            self.sudo().create([dict(row, user_id=self.env.uid) for row in rows])

    @api.model
    def _display(self, value):
        """Text of a field value for the history."""
        if isinstance(value, models.BaseModel):
            return ", ".join(value.mapped("display_name"))
        if value is False or value is None:
            return ""
        return str(value)
