from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date, formatLang, plaintext2html

from .credit_value_bounds import MAX_AMOUNT

# Batch of the daily job that ends temporary limits: one transaction each.
END_BATCH = 200


class CreditLimitRequest(models.Model):
    """A salesperson's or credit user's request for a new credit limit of a customer,
    permanent or temporary (until an end date), decided by a credit manager.

    Like credit releases, nobody has create or write access: :meth:`_request` (called by the
    request wizard) sets the requester, the customer's current limit and the state on the
    server, and the decisions check the manager and the requester there. An approved request
    writes the limit on the customer through its audited path; a temporary one is ended by a
    daily job, back to the limit it replaced.
    """

    _name = "credit.limit.request"
    _description = "Credit Limit Request"
    _inherit = ["mail.thread", "mail.activity.mixin", "credit.request.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _rec_names_search = ["partner_id"]

    name = fields.Char(compute="_compute_name")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True,
                                  help="The company currency, in which credit limits are kept.")
    order_id = fields.Many2one(
        "sale.order", string="Blocked Quotation", readonly=True, index="btree_not_null",
        ondelete="set null", check_company=True)
    limit_type = fields.Selection(
        [("permanent", "Permanent"), ("temporary", "Temporary")],
        string="Type", required=True, readonly=True, default="permanent", tracking=True)
    current_limit = fields.Monetary(
        string="Limit when Requested", readonly=True,
        help="The customer's credit limit in this company when the request was made.")
    requested_limit = fields.Monetary(required=True, readonly=True, tracking=True)
    date_end = fields.Date(
        string="Valid until", readonly=True, tracking=True,
        help="Last day of a temporary limit: the next day the customer's limit returns to the "
        "one it replaced.")
    previous_limit = fields.Monetary(
        string="Limit Replaced", readonly=True,
        help="The limit the approval replaced: a temporary limit returns to it when it ends.")
    reason = fields.Text(required=True, readonly=True)
    decision_note = fields.Text(readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("approved", "Approved"), ("refused", "Refused"),
         ("cancelled", "Cancelled"), ("ended", "Ended")],
        default="pending", required=True, readonly=True, tracking=True, index=True,
        help="Ended: a temporary limit past its end date, or replaced by a later decision.")
    requested_by_id = fields.Many2one("res.users", required=True, readonly=True)
    requested_date = fields.Datetime(required=True, readonly=True)
    decided_by_id = fields.Many2one("res.users", readonly=True)
    decided_date = fields.Datetime(readonly=True)
    ended_date = fields.Date(readonly=True)

    _requested_positive = models.Constraint(
        "CHECK (requested_limit > 0)", "The requested credit limit must be positive.")
    _temporary_end = models.Constraint(
        "CHECK ((limit_type = 'temporary') = (date_end IS NOT NULL))",
        "A temporary limit has an end date; a permanent one has none.")

    @api.depends("partner_id.name")
    def _compute_name(self):
        for request in self:
            request.name = self.env._("Credit limit of %(partner)s", partner=request.partner_id.display_name or "")

    # ------------------------------------------------------------------ actions
    def action_approve(self, note=None):
        self._check_decider()
        today = fields.Date.context_today(self)
        for request in self:
            if request.limit_type == "temporary" and request.date_end < today:
                raise UserError(self.env._(
                    "The temporary limit of %(partner)s was to end on %(date)s: it can no longer "
                    "be approved.", partner=request.partner_id.display_name,
                    date=format_date(self.env, request.date_end)))
        for request in self:
            request._apply(note)
        self._close_activities()
        return True

    def action_refuse(self, note=None):
        self._check_decider()
        # Rights checked above; the fields are closed to every user's writes.
        self.sudo().write({"state": "refused", "decided_by_id": self.env.uid,
                           "decided_date": fields.Datetime.now(), "decision_note": note or False})
        for request in self:
            self.env["credit.audit.log"]._log(
                "limit_request_refused", request.partner_id, request.company_id,
                old=request.current_limit, new=request.requested_limit, reason=note, document=request)
            request._post(self.env._("Credit limit request refused by %(user)s.%(note)s",
                                     user=self.env.user.name, note=f" {note}" if note else ""))
        self._close_activities()
        return True

    # ------------------------------------------------------------------ business
    @api.model
    def _request(self, partner, company, requested_limit, reason, limit_type="permanent",
                 date_end=None, order=None):
        """Create the pending request of ``partner`` in ``company`` for the current user,
        after checking what a decision would refuse anyway."""
        if not (self.env.user.has_group("sales_team.group_sale_salesman")
                or self.env.user.has_group("credit_control.group_credit_user")):
            raise AccessError(self.env._("Only salespeople and credit users can request a credit limit."))
        partner = partner.commercial_partner_id
        partner.check_access("read")
        if company not in self.env.user.company_ids:
            raise AccessError(self.env._("You do not work in %s.", company.name))
        if order:
            order.check_access("read")
            if (order.partner_id.commercial_partner_id, order.company_id) != (partner, company):
                raise UserError(self.env._(
                    "%(order)s is not a quotation of %(partner)s in %(company)s.",
                    order=order.display_name, partner=partner.display_name, company=company.name))
        currency = company.currency_id
        customer = partner.with_company(company).sudo()
        if not reason or not reason.strip():
            raise UserError(self.env._("Give a reason for the credit limit request."))
        if currency.compare_amounts(requested_limit, 0.0) <= 0 or requested_limit > MAX_AMOUNT:
            raise UserError(self.env._(
                "The requested credit limit must be positive and at most %s.",
                formatLang(self.env, MAX_AMOUNT, currency_obj=currency)))
        if limit_type not in ("permanent", "temporary"):
            raise UserError(self.env._("A limit request is permanent or temporary."))
        today = fields.Date.context_today(self)
        if limit_type == "temporary" and (not date_end or fields.Date.to_date(date_end) < today):
            raise UserError(self.env._("A temporary limit needs an end date from today on."))
        if limit_type == "permanent" and currency.compare_amounts(requested_limit, customer.credit_limit) == 0:
            raise UserError(self.env._(
                "%(partner)s already has a credit limit of %(limit)s.", partner=partner.display_name,
                limit=formatLang(self.env, requested_limit, currency_obj=currency)))
        cap = customer.credit_grade_id.max_credit_limit
        if cap and currency.compare_amounts(requested_limit, cap) > 0:
            raise UserError(self.env._(
                "Grade %(grade)s caps the credit limit at %(cap)s: ask for a credit review "
                "to change the grade first.", grade=customer.credit_grade_id.display_name,
                cap=formatLang(self.env, cap, currency_obj=currency)))
        if self.sudo().search_count([("partner_id", "=", partner.id), ("company_id", "=", company.id),
                                     ("state", "=", "pending")], limit=1):
            raise UserError(self.env._(
                "A credit limit request for %s is already pending.", partner.display_name))
        # Closed to users' writes (see the access rights): requester, current limit and state
        # are set here, never from the client.
        record = self.sudo().create({
            "partner_id": partner.id, "company_id": company.id, "currency_id": currency.id,
            "order_id": order.id if order else False, "limit_type": limit_type,
            "current_limit": customer.credit_limit, "requested_limit": requested_limit,
            "date_end": date_end if limit_type == "temporary" else False, "reason": reason.strip(),
            "requested_by_id": self.env.uid, "requested_date": fields.Datetime.now(),
        })
        self.env["credit.audit.log"]._log(
            "limit_request", partner, company, old=record.current_limit, new=requested_limit,
            reason=record.reason, document=record)
        record._notify_managers()
        record._post(self.env._("%(what)s requested by %(user)s: %(reason)s",
                                what=record._describe(), user=self.env.user.name, reason=record.reason))
        if order:
            order.sudo().message_post(body=plaintext2html(record._describe()))
        return record.with_env(self.env)

    def _check_decider(self):
        if not self.env.user.has_group("credit_control.group_credit_manager"):
            raise AccessError(self.env._("Only a credit manager can approve or refuse a credit limit request."))
        for request in self:
            if request.state != "pending":
                raise UserError(self.env._("The request %(name)s is no longer pending.", name=request.name))
            if request.requested_by_id == self.env.user:
                raise AccessError(self.env._(
                    "You requested this credit limit: another credit manager must decide it."))

    def _apply(self, note):
        """Write the approved limit on the customer, as the deciding manager (audited by the
        customer's write); an active temporary limit it replaces ends now, and a temporary
        limit returns to the limit in force before any temporary one."""
        self.ensure_one()
        customer = self.partner_id.with_company(self.company_id).sudo()
        active = self.sudo()._active_temporary(self.partner_id, self.company_id)
        old_limit = customer.credit_limit
        previous = active[-1:].previous_limit if active else old_limit
        active._end(self.env._("Replaced by a later decision."))
        # The manager was checked in _check_decider; sudo only because writing partners may
        # need partner rights a credit manager lacks. The audit row keeps the manager's uid.
        customer.write({"credit_limit": self.requested_limit})
        self.sudo().write({"state": "approved", "decided_by_id": self.env.uid,
                           "decided_date": fields.Datetime.now(), "decision_note": note or False,
                           "previous_limit": previous})
        self.env["credit.audit.log"]._log(
            "limit_request_approved", self.partner_id, self.company_id, old=old_limit,
            new=self.requested_limit, reason=note or self.reason, document=self)
        self._post(self.env._("%(what)s approved by %(user)s.%(note)s", what=self._describe(),
                              user=self.env.user.name, note=f" {note}" if note else ""))

    @api.model
    def _active_temporary(self, partner, company):
        return self.search([("partner_id", "=", partner.id), ("company_id", "=", company.id),
                            ("state", "=", "approved"), ("limit_type", "=", "temporary")], order="id")

    def _end(self, why):
        """End these approved temporary limits without touching the customer's limit."""
        if not self:
            return
        self.sudo().write({"state": "ended", "ended_date": fields.Date.context_today(self)})
        for request in self:
            request._post(self.env._("Temporary credit limit ended: %s", why))

    @api.model
    def _end_superseded(self, partner, company, why):
        """End the active temporary limits of ``partner`` that a new decision (e.g. a credit
        review) replaces: they must not restore an older limit later."""
        self.sudo()._active_temporary(partner, company)._end(why)

    @api.model
    def _cron_end_temporary_limits(self):
        """Daily: customers whose temporary limit is past its end date return to the limit it
        replaced (audited, customer and requester notified), :data:`END_BATCH` requests per
        committed transaction. A limit changed since the approval is kept: that later decision
        stands. Idempotent: an ended request is no longer selected."""
        cron = self.env["ir.cron"]
        today = fields.Date.context_today(self)
        domain = [("state", "=", "approved"), ("limit_type", "=", "temporary"), ("date_end", "<", today)]
        while True:
            batch = self.sudo().search(domain, limit=END_BATCH, order="id")
            if not batch:
                break
            cron._commit_progress(remaining=self.sudo().search_count(domain))
            batch._restore_previous_limits()
            if not cron._commit_progress(len(batch)):
                break

    def _restore_previous_limits(self):
        """Set each customer back to its request's previous limit, one write per company and
        limit value, and the audit rows of all at once."""
        groups = defaultdict(lambda: self.env["res.partner"])
        kept = self.browse()
        for request in self:
            customer = request.partner_id.with_company(request.company_id)
            if request.currency_id.compare_amounts(customer.credit_limit, request.requested_limit):
                kept |= request
            else:
                groups[(request.company_id, request.previous_limit)] |= request.partner_id
        for (company, limit), partners in groups.items():
            # The company's policy ends the limit, not a user: written as the job (superuser).
            partners.with_company(company).sudo().write({"credit_limit": limit})
        log = self.env["credit.audit.log"]
        log._log_rows([log._row("limit_temporary_end", r.partner_id, r.company_id,
                                old=r.requested_limit, new=r.previous_limit if r not in kept else None,
                                reason=self.env._("Limit changed since the approval: kept.")
                                if r in kept else None, document=r) for r in self])
        self.write({"state": "ended", "ended_date": fields.Date.context_today(self)})
        for request in self:
            currency = request.currency_id
            if request in kept:
                message = self.env._(
                    "The temporary credit limit of %(amount)s ended on %(date)s; the limit was "
                    "changed since, so it stays as it is.",
                    amount=formatLang(self.env, request.requested_limit, currency_obj=currency),
                    date=format_date(self.env, request.date_end))
            else:
                message = self.env._(
                    "The temporary credit limit of %(amount)s ended on %(date)s: the limit is "
                    "back to %(previous)s.",
                    amount=formatLang(self.env, request.requested_limit, currency_obj=currency),
                    date=format_date(self.env, request.date_end),
                    previous=formatLang(self.env, request.previous_limit, currency_obj=currency))
            request._post(message)

    def _describe(self):
        self.ensure_one()
        amount = formatLang(self.env, self.requested_limit, currency_obj=self.currency_id)
        if self.limit_type == "temporary":
            return self.env._("Temporary credit limit of %(amount)s until %(date)s",
                              amount=amount, date=format_date(self.env, self.date_end))
        return self.env._("Credit limit of %(amount)s", amount=amount)

    def _post(self, text):
        """Note on the request (the requester notified) and on the customer."""
        self.ensure_one()
        body = plaintext2html(text)
        self.sudo().message_post(body=body, partner_ids=self.requested_by_id.partner_id.ids)
        self.partner_id.sudo().message_post(body=body)

    def _notify_managers(self):
        activity_type = self.env.ref("credit_control.mail_activity_credit_limit_request")
        for manager in self.company_id._credit_managers() - self.requested_by_id:
            self.sudo().activity_schedule(
                activity_type_id=activity_type.id, user_id=manager.id,
                summary=self._describe(), note=plaintext2html(self.reason))
