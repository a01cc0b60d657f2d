from contextlib import contextmanager

from odoo import api, fields, models
from odoo.exceptions import UserError

# Key of the cursor's per-transaction cache (``cr.cache``, cleared at every commit and rollback,
# out of any client's reach) under which a confirmation path marks the documents it has just
# checked: ``{(model, id): checked}``.
CHECKED_KEY = "credit_control.confirming"


class CreditCheckedDocument(models.AbstractModel):
    """What sale orders and customer invoices share: the credit verdict, its banner, the guard
    of the confirmed state and the release workflow. A model using it provides
    :meth:`_credit_values`, :meth:`_credit_block_depends`, :meth:`_credit_block_enabled`,
    :meth:`_credit_check_applies`, ``_credit_confirmed_state`` and a ``credit_release_ids``
    one2many to ``credit.release.request``.

    The check runs on the document's confirmation path (``action_confirm``, ``_post``). Any
    other way into the confirmed state (``write``, ``create`` or ``load`` with the state set, a
    copy with a default state) goes through the same check in ``write``: the guard. The
    confirmation path itself also writes the state; so that it is not checked twice, the path
    marks what it checked in the transaction's server-side cache (:meth:`_credit_confirming`),
    which no RPC client can reach, unlike a context key.
    """

    _name = "credit.checked.document"
    _description = "Document Checked against the Credit Policy"

    _credit_confirmed_state = None  # the state the credit policy guards ("sale", "posted")

    credit_block_message = fields.Text(
        string="Credit Policy Warning", compute="_compute_credit_block_message",
        help="Why confirming or posting this document would be blocked by the credit policy.")
    credit_release_state = fields.Selection(
        [("none", "None"), ("pending", "Pending"), ("approved", "Approved"),
         ("refused", "Refused"), ("used", "Used")],
        string="Credit Release", compute="_compute_credit_release_state")

    @api.depends(lambda self: self._credit_block_depends())
    def _compute_credit_block_message(self):
        engine = self.env["credit.exposure.engine"]
        for document in self:
            reasons = document._credit_reasons(lock=False) if document._credit_banner_applies() else []
            document.credit_block_message = (
                engine._format_reasons(document.partner_id, reasons) if reasons else False)

    # The abstract model itself has no releases: only the documents using it depend on theirs.
    @api.depends(lambda self: [] if self._abstract else ["credit_release_ids.state"])
    def _compute_credit_release_state(self):
        for document in self:
            latest = document.credit_release_ids.sorted("id", reverse=True)[:1]
            document.credit_release_state = latest.state if latest and latest.state != "cancelled" else "none"

    # ------------------------------------------------------------------ to provide
    def _credit_values(self):
        """``dict(amount, counted, payment_term, prepaid, date)``: the credit this document
        asks for in its own currency, the part of it the exposure already counts, its payment
        term, whether it is fully prepaid, and the conversion date."""
        raise NotImplementedError

    @api.model
    def _credit_block_depends(self):
        """The fields of this kind of document the credit verdict depends on."""
        return []

    def _credit_block_enabled(self):
        """Whether the company's switch puts this kind of document under the credit policy."""
        raise NotImplementedError

    def _credit_check_applies(self):
        """Whether the check applies now: the block is enabled and the document is about to
        be confirmed or posted."""
        raise NotImplementedError

    def _credit_banner_applies(self):
        """Whether the form shows the credit banner; by default where the check applies."""
        return self._credit_check_applies()

    # ------------------------------------------------------------------ shared
    def _credit_reasons(self, lock=True, figures=None):
        """The credit engine's reasons against this document, amounts in company currency
        (``figures``: see ``credit.exposure.engine._check``)."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        if not partner:
            return []
        company = self.company_id
        values = self._credit_values()
        currency = self.currency_id or company.currency_id

        def to_company(amount):
            return currency._convert(amount, company.currency_id, company, values["date"])

        return self.env["credit.exposure.engine"]._check(
            partner, company, to_company(values["amount"]), counted=to_company(values["counted"]),
            payment_term=values["payment_term"], prepaid=values["prepaid"], date=values["date"],
            lock=lock, figures=figures)

    def _credit_error_message(self, any_state=False):
        """The block message, or False when the policy or an approved release allows it.
        ``any_state``: check whatever the document's state (the guard of a state write)."""
        self.ensure_one()
        if not (self._credit_block_enabled() if any_state else self._credit_check_applies()):
            return False
        reasons = self._credit_reasons(lock=True)
        if not reasons or self.credit_release_ids._valid_for(self):
            return False
        return self.env._(
            "%(message)s\n\nUse \"Request Credit Release\" to ask a credit manager for an exception.",
            message=self.env["credit.exposure.engine"]._format_reasons(self.partner_id, reasons))

    # ------------------------------------------------------------------ guard
    @contextmanager
    def _credit_confirming(self):
        """The confirmation path of these documents: one that passes the check inside it
        (:meth:`_credit_confirmation_error`) is not checked again by the state write of that
        path. The marks end with the path."""
        marks = self.env.cr.cache.setdefault(CHECKED_KEY, {})
        keys = [key for key in ((self._name, doc_id) for doc_id in self.ids) if key not in marks]
        marks.update(dict.fromkeys(keys, False))
        try:
            yield
        finally:
            for key in keys:
                marks.pop(key, None)

    def _credit_confirmation_error(self):
        """The block message of this document on its confirmation path; when there is none,
        the document is marked checked for the state write that follows."""
        error = self._credit_error_message()
        marks = self.env.cr.cache.get(CHECKED_KEY)
        if not error and marks is not None and (self._name, self.id) in marks:
            marks[(self._name, self.id)] = True
        return error

    def _credit_guarded(self, vals):
        """The documents that ``vals`` moves into the confirmed state and that their
        confirmation path has not just checked (those marks are used up)."""
        state = self._credit_confirmed_state
        if not self or vals.get("state") != state:
            return self.browse()
        marks = self.env.cr.cache.get(CHECKED_KEY) or {}
        guarded = []
        for document in self:
            if document.state == state:
                continue
            key = (document._name, document.id)
            if marks.get(key):
                marks[key] = False
            else:
                guarded.append(document.id)
        return self.browse(guarded)

    @api.model
    def _credit_created_state(self, vals):
        """The state a document created with ``vals`` gets: a ``default_state`` of the
        client's context counts as much as a state in the values."""
        return vals["state"] if "state" in vals else self.env.context.get("default_state")

    def _credit_assert_allowed(self):
        """Raise the block message of each document the credit policy does not allow, as the
        confirmation path would (the guard of a state write)."""
        for document in self:
            error = document._credit_error_message(any_state=True)
            if error:
                raise UserError(error)

    # ------------------------------------------------------------------ releases
    def _credit_release_owners(self, vals):
        """``{document: (customer, company)}`` of the documents with a pending or approved
        release, before ``vals`` may change their customer or company."""
        if not {"partner_id", "company_id"} & vals.keys():
            return {}
        # Releases are closed to users' writes; reading them here only finds what to cancel.
        return {document: (document.partner_id.commercial_partner_id, document.company_id)
                for document in self.sudo()
                if document.credit_release_ids.filtered(lambda r: r.state in ("pending", "approved"))}

    def _credit_cancel_moved_releases(self, owners):
        """Cancel the pending or approved releases of the documents of ``owners`` (see
        :meth:`_credit_release_owners`) whose customer or company has changed: a release is
        for one customer in one company."""
        for document, (customer, company) in owners.items():
            if (document.partner_id.commercial_partner_id, document.company_id) != (customer, company):
                document.credit_release_ids.filtered(
                    lambda r: r.state in ("pending", "approved"))._cancel_moved(document)

    def _credit_consume_releases(self):
        """Mark the approved release that covers each confirmed or posted document as used."""
        for document in self.filtered("credit_release_ids"):
            document.credit_release_ids._valid_for(document)._mark_used()

    def action_credit_release_request(self):
        """Ask the credit managers to release this blocked document (one click)."""
        self.ensure_one()
        self.check_access("write")
        if self.credit_release_ids.filtered(lambda r: r.state == "pending"):
            raise UserError(self.env._("A credit release request for %s is already pending.",
                                       self.display_name))
        if self.credit_release_ids._valid_for(self):
            raise UserError(self.env._("%s already has an approved credit release.", self.display_name))
        reasons = self._credit_reasons(lock=False) if self._credit_check_applies() else []
        if not reasons:
            raise UserError(self.env._(
                "%s does not break the credit policy: no release is needed.", self.display_name))
        engine = self.env["credit.exposure.engine"]
        self.env["credit.release.request"]._request(self, engine._format_reasons(self.partner_id, reasons))
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {
                "type": "success", "sticky": False,
                "message": self.env._("Credit release requested: the credit managers have an activity."),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_view_credit_releases(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit Releases"),
            "res_model": "credit.release.request",
            "view_mode": "list,form",
            "domain": [("id", "in", self.credit_release_ids.ids)],
        }
