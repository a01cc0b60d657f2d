from odoo import api, fields, models
from odoo.exceptions import UserError


class CreditCheckedDocument(models.AbstractModel):
    """What sale orders and customer invoices share: the credit verdict, its banner and the
    release workflow. A model using it provides :meth:`_credit_values`,
    :meth:`_credit_block_depends` and a ``credit_release_ids`` one2many to
    ``credit.release.request``.
    """

    _name = "credit.checked.document"
    _description = "Document Checked against the Credit Policy"

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

    def _credit_check_applies(self):
        """Whether the company's switch puts this kind of document under the check now."""
        raise NotImplementedError

    def _credit_banner_applies(self):
        """Whether the form shows the credit banner; by default where the check applies."""
        return self._credit_check_applies()

    # ------------------------------------------------------------------ shared
    def _credit_reasons(self, lock=True):
        """The credit engine's reasons against this document, amounts in company currency."""
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
            lock=lock)

    def _credit_error_message(self):
        """The block message, or False when the policy or an approved release allows it."""
        self.ensure_one()
        if not self._credit_check_applies():
            return False
        reasons = self._credit_reasons(lock=True)
        if not reasons or self.credit_release_ids._valid_for(self):
            return False
        return self.env._(
            "%(message)s\n\nUse \"Request Credit Release\" to ask a credit manager for an exception.",
            message=self.env["credit.exposure.engine"]._format_reasons(self.partner_id, reasons))

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
