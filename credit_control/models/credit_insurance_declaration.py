from odoo import api, fields, models
from odoo.exceptions import UserError


class CreditInsuranceDeclaration(models.Model):
    """Append-only history of overdue invoices declared to the insurer.

    Declaring in time keeps the cover; the row proves when it was done and by whom. Rows are
    written with sudo by :meth:`account.move.action_credit_declare_insurer`; users only read.
    """

    _name = "credit.insurance.declaration"
    _description = "Overdue Declaration to the Insurer"
    _order = "date desc, id desc"
    _rec_name = "move_id"

    date = fields.Date(required=True, readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", required=True, readonly=True,
                              index=True, ondelete="restrict")
    partner_id = fields.Many2one("res.partner", string="Buyer", required=True, readonly=True, index=True)
    policy_id = fields.Many2one("credit.insurance.policy", required=True, readonly=True,
                                ondelete="restrict")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount_residual = fields.Monetary(string="Amount Declared", readonly=True,
                                      help="Open amount of the invoice when it was declared.")
    notification_deadline = fields.Date(readonly=True)
    in_time = fields.Boolean(string="Declared in Time", readonly=True)
    user_id = fields.Many2one("res.users", string="Declared By", required=True, readonly=True)

    def write(self, vals):  # pylint: disable=method-required-super  # append-only, never changed
        raise UserError(self.env._("Declarations to the insurer cannot be changed."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Declarations to the insurer cannot be deleted."))
