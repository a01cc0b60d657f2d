from contextlib import contextmanager

from odoo import api, fields, models
from odoo.exceptions import UserError

# Ids of the charge invoices being posted by the dunning engine (cursor cache: not reachable
# from a client's context or over RPC).
CHARGES_KEY = "credit_control.charges_posting"


class AccountMove(models.Model):
    """Customer invoices show the credit banner; when the company asks for it, posting one
    over the policy is blocked with the same check and release rule as sale orders, however
    the invoice becomes posted (``action_post``, or a ``write`` or ``load`` of the state; core
    refuses to create a posted move)."""

    _name = "account.move"
    _inherit = ["account.move", "credit.checked.document"]
    _credit_confirmed_state = "posted"

    credit_release_ids = fields.One2many("credit.release.request", "move_id", string="Credit Releases")

    # The exposure engine's draft-invoice component, at every credit check: a small index,
    # as it holds the draft entries only.
    _credit_draft_partner_idx = models.Index("(commercial_partner_id, company_id) WHERE state = 'draft'")

    @api.model
    def _credit_block_depends(self):
        return ["partner_id", "amount_total", "invoice_payment_term_id", "state", "move_type",
                "company_id", "currency_id"]

    def _credit_values(self):
        self.ensure_one()
        amount = self.amount_total * (-1 if self.move_type == "out_refund" else 1)
        return {
            "amount": amount,
            # A saved draft invoice is already in the exposure's draft-invoice component, a
            # posted one (the guard of a state write checks it just posted) in the receivable.
            "counted": amount if self.id and self._origin.state in ("draft", "posted") else 0.0,
            "payment_term": self.invoice_payment_term_id,
            "prepaid": False,
            "date": self.invoice_date or fields.Date.context_today(self),
        }

    def _credit_block_enabled(self):
        self.ensure_one()
        return self.move_type == "out_invoice" and self.company_id.credit_block_invoice_posting

    def _credit_check_applies(self):
        self.ensure_one()
        return self.state == "draft" and self._credit_block_enabled() \
            and self.id not in self.env.cr.cache.get(CHARGES_KEY, ())

    @contextmanager
    def _credit_posting_charges(self):
        """Post these invoices without the credit check: they are the dunning fee and the
        late-payment interest the engine charges a customer *because* of overdue debt, which
        the check would refuse for that very reason. Server-side only (the cursor's cache)."""
        posting = self.env.cr.cache.setdefault(CHARGES_KEY, set())
        ids = set(self.ids) - posting
        posting |= ids
        try:
            yield
        finally:
            posting -= ids

    def _credit_banner_applies(self):
        self.ensure_one()
        return self.move_type == "out_invoice" and self.state == "draft"

    @api.model_create_multi
    def create(self, vals_list):
        # Core refuses to create a posted move, but only looks at the values: a default state
        # from the context is refused the same way.
        return super().create([
            dict(vals, state="posted") if self._credit_created_state(vals) == "posted" else vals
            for vals in vals_list])

    def write(self, vals):
        owners = self._credit_release_owners(vals)
        guarded = self._credit_guarded(vals)
        if not guarded:
            result = super().write(vals)
        else:
            # The state written without _post: checked once written, as core applies the other
            # values (and refuses some) together with the state; the check leaves the invoice,
            # now in the receivable, out of the exposure as it left out the draft. A refusal
            # undoes the write.
            with self.env.cr.savepoint():
                result = super().write(vals)
                guarded._credit_assert_allowed()
            guarded._credit_consume_releases()
        self._credit_cancel_moved_releases(owners)
        return result

    def _post(self, soft=True):
        with self._credit_confirming():
            for move in self:
                error = move._credit_confirmation_error()
                if error:
                    raise UserError(error)
            posted = super()._post(soft=soft)
        posted._credit_consume_releases()
        return posted
