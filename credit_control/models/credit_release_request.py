from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import formatLang, plaintext2html


class CreditReleaseRequest(models.Model):
    """A salesperson's request to confirm one blocked order despite the credit policy.

    Nobody has create or write access to this model: the methods below check the requester and the
    approver on the server and then write with sudo. An approved release covers that order
    at the approved amount or less, once.
    """

    _name = "credit.release.request"
    _description = "Credit Release Request"
    _inherit = ["mail.thread", "mail.activity.mixin", "credit.request.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _rec_names_search = ["order_id", "move_id", "partner_id"]

    name = fields.Char(compute="_compute_name")
    order_id = fields.Many2one(
        "sale.order", string="Sale Order", readonly=True, index="btree_not_null",
        ondelete="cascade", check_company=True)
    move_id = fields.Many2one(
        "account.move", string="Invoice", readonly=True, index="btree_not_null",
        ondelete="cascade", check_company=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(
        required=True, readonly=True,
        help="Order total (tax included) the release is for; a higher total needs a new release.")
    reasons = fields.Text(required=True, readonly=True)
    note = fields.Text(string="Salesperson's Note", readonly=True)
    decision_note = fields.Text(readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("approved", "Approved"), ("refused", "Refused"),
         ("used", "Used"), ("cancelled", "Cancelled")],
        default="pending", required=True, readonly=True, tracking=True, index=True)
    requested_by_id = fields.Many2one("res.users", required=True, readonly=True)
    requested_date = fields.Datetime(required=True, readonly=True)
    decided_by_id = fields.Many2one("res.users", readonly=True)
    decided_date = fields.Datetime(readonly=True)

    _one_document = models.Constraint(
        "CHECK ((order_id IS NULL) != (move_id IS NULL))",
        "A credit release is for exactly one sale order or one invoice.",
    )

    @api.depends("order_id.name", "move_id.name")
    def _compute_name(self):
        for request in self:
            request.name = self.env._(
                "Release %(document)s", document=request._document().display_name or "")

    def _document(self):
        self.ensure_one()
        return self.order_id or self.move_id

    # ------------------------------------------------------------------ actions
    def action_approve(self, note=None):
        self._decide("approved", note)
        return True

    def action_refuse(self, note=None):
        self._decide("refused", note)
        return True

    # ------------------------------------------------------------------ business
    @api.model
    def _request(self, document, reasons, note=None):
        """Create the request of ``document`` (sale order or invoice) for its current total."""
        values = {
            "order_id" if document._name == "sale.order" else "move_id": document.id,
            "partner_id": document.partner_id.commercial_partner_id.id,
            "company_id": document.company_id.id,
            "currency_id": document.currency_id.id,
            "amount": document.amount_total,
            "reasons": reasons,
            "note": note,
            "requested_by_id": self.env.uid,
            "requested_date": fields.Datetime.now(),
        }
        # No user may create or write requests directly (see the access rights): the requester
        # and the amount are set here, from the order, never from the client.
        record = self.sudo().create(values)
        record._notify_managers()
        self.env["credit.audit.log"]._log(
            "release_request", record.partner_id, record.company_id,
            new=document.amount_total, reason=reasons, document=document, currency=document.currency_id)
        body = plaintext2html(self.env._(
            "Credit release requested for %(amount)s.\n%(reasons)s",
            amount=formatLang(self.env, document.amount_total, currency_obj=document.currency_id),
            reasons=reasons))
        document.message_post(body=body)
        record.partner_id.sudo().message_post(body=body)
        return record.with_env(self.env)

    def _decide(self, state, note):
        if not self.env.user.has_group("credit_control.group_credit_manager"):
            raise AccessError(self.env._("Only a credit manager can approve or refuse a credit release."))
        for request in self:
            if request.state != "pending":
                raise UserError(self.env._(
                    "The release request %(name)s is no longer pending.", name=request.name))
            if request.requested_by_id == self.env.user:
                raise AccessError(self.env._(
                    "You requested this release: another credit manager must decide it."))
        # Rights checked above; the fields are closed to every user's writes.
        self.sudo().write({
            "state": state, "decided_by_id": self.env.uid, "decided_date": fields.Datetime.now(),
            "decision_note": note or False,
        })
        event = "release_approved" if state == "approved" else "release_refused"
        for request in self:
            document = request._document()
            label = self.env._("approved") if state == "approved" else self.env._("refused")
            body = plaintext2html(self.env._(
                "Credit release for %(document)s (%(amount)s) %(decision)s by %(user)s.%(note)s",
                document=document.display_name,
                amount=formatLang(self.env, request.amount, currency_obj=request.currency_id),
                decision=label, user=self.env.user.name, note=f" {note}" if note else ""))
            self.env["credit.audit.log"]._log(
                event, request.partner_id, request.company_id, old="pending", new=state,
                reason=note, document=document)
            document.sudo().message_post(body=body, partner_ids=request.requested_by_id.partner_id.ids)
            request.partner_id.sudo().message_post(body=body)
        self._close_activities()

    def _notify_managers(self):
        activity_type = self.env.ref("credit_control.mail_activity_credit_release")
        managers = self.company_id._credit_managers() - self.requested_by_id
        for manager in managers:
            self.sudo().activity_schedule(
                activity_type_id=activity_type.id, user_id=manager.id,
                summary=self.env._("Credit release for %s", self._document().display_name),
                note=self.reasons)

    def _valid_for(self, document):
        """The approved, unused release of ``document`` covering its current total, if any:
        for the same customer (commercial partner), company and currency, at the approved
        amount or less."""
        return self.filtered(
            lambda r: r._document() == document and r.state == "approved"
            and r.partner_id == document.partner_id.commercial_partner_id
            and r.company_id == document.company_id
            and r.currency_id == document.currency_id
            and r.currency_id.compare_amounts(document.amount_total, r.amount) <= 0)[:1]

    def _cancel_moved(self, document):
        """Cancel these pending or approved releases of ``document``, which now belongs to
        another customer or company: a release never follows a document elsewhere."""
        new = document.partner_id.commercial_partner_id
        for request in self:
            old_state = request.state
            # Requests are closed to users' writes (see the access rights): the state is set here.
            request.sudo().state = "cancelled"
            reason = self.env._(
                "%(document)s moved from %(old)s (%(old_company)s) to %(new)s (%(new_company)s).",
                document=document.display_name, old=request.partner_id.display_name,
                old_company=request.company_id.name, new=new.display_name,
                new_company=document.company_id.name)
            self.env["credit.audit.log"]._log(
                "release_cancelled", request.partner_id, request.company_id, old=old_state,
                new="cancelled", reason=reason, document=document)
            body = plaintext2html(self.env._(
                "Credit release for %(amount)s cancelled: %(reason)s",
                amount=formatLang(self.env, request.amount, currency_obj=request.currency_id),
                reason=reason))
            document.sudo().message_post(body=body)
            request.partner_id.sudo().message_post(body=body)
        self._close_activities(feedback=self.env._("Cancelled: the document moved to another customer or company"))

    def _mark_used(self):
        """Consume approved releases once their document is confirmed or posted."""
        for request in self.filtered(lambda r: r.state == "approved"):
            request.sudo().state = "used"
            self.env["credit.audit.log"]._log(
                "release_used", request.partner_id, request.company_id, old="approved",
                new="used", document=request._document())
