from odoo import api, fields, models
from odoo.exceptions import UserError


class CreditAuditLog(models.Model):
    """Append-only record of every credit decision: limit, grade and hold changes, release
    and limit requests and their decisions, the end of temporary limits and credit reviews.

    Chatter tracking can be switched off by a caller's context; this log cannot: it is written
    with sudo by the server code that makes the change, users have no write or unlink access
    and the model itself refuses both.
    """

    _name = "credit.audit.log"
    _description = "Credit Decision Audit Log"
    _order = "id desc"
    _rec_name = "event_type"

    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users", string="By", required=True, readonly=True, default=lambda self: self.env.user)
    partner_id = fields.Many2one("res.partner", string="Customer", index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    event_type = fields.Selection(
        [
            ("limit", "Credit limit"),
            ("grade", "Grade"),
            ("hold", "Credit hold"),
            ("release_request", "Release requested"),
            ("release_approved", "Release approved"),
            ("release_refused", "Release refused"),
            ("release_used", "Release used"),
            ("release_cancelled", "Release cancelled"),
            ("limit_request", "Limit requested"),
            ("limit_request_approved", "Limit request approved"),
            ("limit_request_refused", "Limit request refused"),
            ("limit_temporary_end", "Temporary limit ended"),
            ("review_proposed", "Review proposed"),
            ("review_approved", "Review approved"),
            ("review_refused", "Review refused"),
            ("payment_plan", "Payment plan"),
        ],
        string="Decision", required=True, readonly=True)
    old_value = fields.Char(readonly=True)
    new_value = fields.Char(readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    old_amount = fields.Monetary(readonly=True, help="The previous amount of a limit decision.")
    new_amount = fields.Monetary(readonly=True, help="The new amount of a limit or the amount of a release.")
    is_amount = fields.Boolean(
        string="Amount Decision", readonly=True,
        help="The values of this decision are amounts (with their currency), not text.")
    reason = fields.Text(readonly=True)
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Many2oneReference(string="Document", model_field="res_model", readonly=True)

    def write(self, vals):  # pylint: disable=method-required-super  # append-only, never changed
        raise UserError(self.env._("Credit audit records cannot be changed."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Credit audit records cannot be deleted."))

    @api.model
    def _log(self, event_type, partner, company, old=None, new=None, reason=None, document=None,
             currency=None):
        """Append one audit row, whatever the caller's rights or context."""
        return self._log_rows([self._row(event_type, partner, company, old, new, reason, document, currency)])

    @api.model
    def _row(self, event_type, partner, company, old=None, new=None, reason=None, document=None,
             currency=None):
        """The values of one audit row (see :meth:`_log_rows`). Every value is kept as text
        (searchable, exported as given); numbers are amounts and are kept as money in
        ``currency`` (default: the company's) too, which the screens show instead of the text."""
        amounts = {}
        if any(isinstance(value, (int, float)) and not isinstance(value, bool) for value in (old, new)):
            amounts = {"is_amount": True, "old_amount": old or 0.0, "new_amount": new or 0.0,
                       "currency_id": (currency or company.currency_id).id}
        return {
            **amounts,
            "event_type": event_type,
            "partner_id": partner.id if partner else False,
            "company_id": company.id,
            "old_value": old if old is None else str(old),
            "new_value": new if new is None else str(new),
            "reason": reason,
            "user_id": self.env.uid,
            "res_model": document._name if document else False,
            "res_id": document.id if document else False,
        }

    @api.model
    def _log_rows(self, rows):
        """Append the audit rows ``rows`` (from :meth:`_row`) at once, whatever the caller's
        rights or context."""
        return self.sudo().with_context(tracking_disable=False).create(rows)
