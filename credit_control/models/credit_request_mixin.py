from odoo import models
from odoo.exceptions import AccessError, UserError


class CreditRequestMixin(models.AbstractModel):
    """What a request decided by a credit manager (a credit limit, a release of a blocked
    document) does the same way: its requester or a manager cancels it while pending, and its
    decision closes the managers' activities. The models hold no write access: the state is
    written with sudo after the checks here."""

    _name = "credit.request.mixin"
    _description = "Credit Request"

    def action_cancel(self):
        for request in self:
            if request.state != "pending":
                raise UserError(self.env._("Only a pending request can be cancelled."))
            if request.requested_by_id != self.env.user and not self.env.user.has_group(
                    "credit_control.group_credit_manager"):
                raise AccessError(self.env._("Only the requester or a credit manager can cancel it."))
        self.sudo().write({"state": "cancelled"})
        self._close_activities(self.env._("Cancelled"))
        return True

    def _close_activities(self, feedback=None):
        self.sudo().activity_ids.action_feedback(feedback=feedback or self.env._("Decided"))
