from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html


class SaleOrder(models.Model):
    """Sale orders are blocked at confirmation, not just warned, when they break the
    customer's credit policy; an approved release lets one order through.

    Whatever way an order becomes confirmed (``action_confirm``, a ``write``, ``create`` or
    ``load`` with ``state`` set to ``sale``, a copy with that default) it goes through the same
    check, once (see ``credit.checked.document``).
    """

    _name = "sale.order"
    _inherit = ["sale.order", "credit.checked.document"]
    _credit_confirmed_state = "sale"

    credit_release_ids = fields.One2many("credit.release.request", "order_id", string="Credit Releases")
    credit_partner_available = fields.Monetary(
        string="Available Credit", compute="_compute_credit_partner_available",
        currency_field="credit_company_currency_id")
    credit_company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency")
    credit_partner_controlled = fields.Boolean(compute="_compute_credit_partner_available")
    credit_blocked = fields.Boolean(
        string="Blocked by Credit", compute="_compute_credit_blocked", search="_search_credit_blocked",
        help="The quotation cannot be confirmed: the credit policy blocks it and no release "
        "was approved.")

    @api.depends("partner_id", "company_id")
    def _compute_credit_partner_available(self):
        engine = self.env["credit.exposure.engine"]
        for order in self:
            partner = order.partner_invoice_id.commercial_partner_id or order.partner_id.commercial_partner_id
            controlled = bool(partner) and engine._is_controlled(partner, order.company_id)
            order.credit_partner_controlled = controlled
            order.credit_partner_available = (
                partner.with_company(order.company_id).sudo().credit_available if controlled else 0.0)

    @api.depends("credit_block_message", "credit_release_state")
    def _compute_credit_blocked(self):
        for order in self:
            order.credit_blocked = bool(order.credit_block_message) and order.credit_release_state != "approved"

    def _search_credit_blocked(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        positive = (True in value) == (operator == "in")
        return [("id", "in" if positive else "not in", self._credit_blocked_quotations().ids)]

    @api.model
    def _credit_blocked_quotations(self, companies=None):
        """The open quotations (of ``companies`` if given, of the companies that block sales)
        that the credit policy blocks: their customers' figures in one query per company, then
        each quotation's verdict from them, without lock (nothing is confirmed here)."""
        domain = [("state", "in", ("draft", "sent")), ("company_id.credit_block_sales", "=", True)]
        if companies is not None:
            domain.append(("company_id", "in", companies.ids))
        quotations = self.search(domain)
        engine = self.env["credit.exposure.engine"]
        blocked = self.browse()
        for company in quotations.company_id:
            orders = quotations.filtered(lambda order, company=company: order.company_id == company)
            figures = engine._compute_figures(orders.partner_id.commercial_partner_id, company)
            for order in orders:
                partner = order.partner_id.commercial_partner_id  # as _credit_reasons
                if not partner or not engine._is_controlled(partner, company):
                    continue
                if order._credit_reasons(lock=False, figures=figures[(partner.id, company.id)]) \
                        and not order.credit_release_ids._valid_for(order):
                    blocked |= order
        return blocked

    @api.model
    def _credit_block_depends(self):
        return ["partner_id", "partner_invoice_id", "amount_total", "payment_term_id", "state",
                "company_id", "currency_id"]

    def _credit_values(self):
        self.ensure_one()
        paid = self.amount_paid
        return {
            "amount": max(self.amount_total - paid, 0.0),
            "counted": 0.0,
            "payment_term": self.payment_term_id,
            "prepaid": self.currency_id.compare_amounts(paid, self.amount_total) >= 0,
            "date": fields.Date.context_today(self),
        }

    def _credit_block_enabled(self):
        self.ensure_one()
        return self.company_id.credit_block_sales

    def _credit_check_applies(self):
        self.ensure_one()
        return self.state in ("draft", "sent") and self._credit_block_enabled()

    @api.model_create_multi
    def create(self, vals_list):
        confirmed = [self._credit_created_state(vals) == self._credit_confirmed_state for vals in vals_list]
        if not any(confirmed):
            return super().create(vals_list)
        # Created confirmed (RPC, import, a copy with that default): created as a quotation,
        # then confirmed through the guard of write, so checked like any confirmation.
        orders = super().create([dict(vals, state="draft") if flag else vals
                                 for vals, flag in zip(vals_list, confirmed, strict=True)])
        orders.browse([order.id for order, flag in zip(orders, confirmed, strict=True) if flag]).write(
            {"state": self._credit_confirmed_state})
        return orders

    def write(self, vals):
        owners = self._credit_release_owners(vals)
        self._credit_check_confirmed_move(vals)
        guarded = self._credit_guarded(vals)
        if not guarded:
            result = super().write(vals)
        else:
            # The state written without action_confirm: the other values first, then each order
            # is checked and confirmed in turn, so that each check sees the order as written
            # and counts the orders confirmed before it. A refusal undoes the whole write.
            others = {fname: value for fname, value in vals.items() if fname != "state"}
            with self.env.cr.savepoint():
                result = super().write(others) if others else True
                if self - guarded:
                    super(SaleOrder, self - guarded).write({"state": vals["state"]})
                for order in guarded:
                    order._credit_assert_allowed()
                    super(SaleOrder, order).write({"state": vals["state"]})
            guarded._credit_consume_releases()
        self._credit_cancel_moved_releases(owners)
        return result

    def _credit_check_confirmed_move(self, vals):
        """A confirmed order stays with the customer and company it was checked for (the
        order form does not let its customer change either)."""
        if not {"partner_id", "company_id"} & vals.keys():
            return
        confirmed = self.filtered(
            lambda o: o.state == self._credit_confirmed_state and o.company_id.credit_block_sales)
        if not confirmed:
            return

        def value(fname):  # the record the ORM makes of the value written
            field = self._fields[fname]
            return field.convert_to_record(field.convert_to_cache(vals[fname], self), self)

        for order in confirmed:
            if ("partner_id" in vals and value("partner_id").commercial_partner_id
                    != order.partner_id.commercial_partner_id) or (
                    "company_id" in vals and value("company_id") != order.company_id):
                raise UserError(self.env._(
                    "%(order)s is confirmed: its customer and company cannot change. Cancel it, "
                    "set it back to quotation and confirm it again, so that the credit policy "
                    "is checked for the new customer.", order=order.display_name))

    def _confirmation_error_message(self):
        error = super()._confirmation_error_message()
        return error or self._credit_confirmation_error()

    def _validate_order(self):
        """Odoo's own confirmation once the customer signs the quotation on the portal (or
        confirms a free cart): an order the credit policy blocks stays a quotation."""
        allowed = self - self._credit_hold_blocked()
        return super(SaleOrder, allowed)._validate_order() if allowed else None

    def _credit_hold_blocked(self):
        """The orders the credit policy blocks, for Odoo's own confirmations (portal
        signature, online payment): they stay quotations, their signature or payment kept,
        and their salesperson (else a credit manager) gets an activity with the reasons,
        which the customer does not see. A prepaid order passes as the policy allows it."""
        held = self.browse()
        for order in self:
            error = order._credit_error_message()
            if not error:
                continue
            held |= order
            # The caller may be the customer's portal session: the note and activity are internal.
            order = order.sudo()
            summary = self.env._("Confirmation held by the credit policy")
            order.message_post(body=plaintext2html(f"{summary}\n{error}"), subtype_xmlid="mail.mt_note")
            user = order.user_id or order.company_id._credit_managers()[:1]
            if user:
                order.activity_schedule("mail.mail_activity_data_todo", user_id=user.id,
                                        summary=summary, note=plaintext2html(error))
        return held

    def action_credit_limit_request(self):
        """Ask for a higher credit limit of the blocked quotation's customer (the form opens
        with the limit the order needs)."""
        self.ensure_one()
        self.check_access("write")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "credit_control.credit_limit_request_wizard_action")
        action["context"] = {
            "default_partner_id": self.partner_id.commercial_partner_id.id,
            "default_company_id": self.company_id.id, "default_order_id": self.id}
        return action

    def action_confirm(self):
        if len(self) > 1:
            # One at a time, so that each order's check counts the ones confirmed before it.
            for order in self:
                order.action_confirm()
            return True
        with self._credit_confirming():
            result = super().action_confirm()
        self._credit_consume_releases()
        return result
