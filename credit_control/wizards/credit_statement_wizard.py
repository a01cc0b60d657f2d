from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..models.credit_statement_engine import REPORT
from ..models.credit_value_bounds import DATES


class CreditStatementWizard(models.TransientModel):
    """Statements of account for one customer or many (from the customer form or list): print
    them, or queue them by email in each customer's language with the PDF attached (and, for a
    statement too long to print in full, the XLSX of its detail).

    The figures come from ``credit.statement.engine``; the PDFs are rendered a few hundred per
    wkhtmltopdf call (``reports/pdf_batch.py``) and the emails are queued, never sent inline,
    like the dunning emails.
    """

    _name = "credit.statement.wizard"
    _description = "Statement of Account"
    _inherit = ["credit.value.bounds"]

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)])
    date_from = fields.Date(
        string="From", required=True,
        default=lambda self: self.env["credit.statement.engine"]._default_period()[0])
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)
    mail_template_id = fields.Many2one(
        "mail.template", string="Email Template", domain=[("model", "=", "res.partner")],
        default=lambda self: self.env.ref("credit_control.mail_template_credit_statement", raise_if_not_found=False))
    partner_count = fields.Integer(compute="_compute_partner_count")
    missing_email_count = fields.Integer(
        compute="_compute_partner_count", string="Customers without Email",
        help="Their statement is put in their chatter, to be posted.")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "date_from": DATES, "date_to": DATES}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "company_id", "mail_template_id")

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise ValidationError(self.env._("A statement's period must start before it ends."))

    @api.depends("partner_ids")
    def _compute_partner_count(self):
        engine = self.env["credit.dunning.engine"]
        for wizard in self:
            customers = wizard.partner_ids.commercial_partner_id
            recipients = engine._email_recipients(customers)
            wizard.partner_count = len(customers)
            wizard.missing_email_count = sum(1 for partner in customers if not recipients[partner.id])

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "res.partner" and "partner_ids" in fields_list:
            partners = self.env["res.partner"].browse(self.env.context.get("active_ids") or [])
            values["partner_ids"] = [Command.set(partners.commercial_partner_id.ids)]
        return values

    def _report_data(self):
        return self.env["credit.statement.engine"]._report_data(self.company_id, self.date_from, self.date_to)

    def action_print(self):
        self.ensure_one()
        return self.env.ref(REPORT).report_action(self.partner_ids.commercial_partner_id, data=self._report_data())

    def action_download_detail(self):
        """The detail of one customer's statement as XLSX (every document with its running
        balance, every open item and interest item), in the customer's language: what a long
        statement's email carries next to its summary PDF."""
        self.ensure_one()
        partner = self.partner_ids.commercial_partner_id
        if len(partner) != 1:
            raise UserError(self.env._("Download the detail of one customer's statement at a time."))
        statement = self.env["credit.statement.engine"]._statements_by_lang(
            partner, self.company_id, self.date_from, self.date_to)[partner.id]
        attachment = self.env["ir.attachment"].create({
            **self.env["credit.statement.xlsx"].with_context(lang=partner.lang)._attachment_values(statement),
            "res_model": self._name,
            "res_id": self.id,
        })
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true",
                "target": "download"}

    def action_send(self):
        """Queue one email per customer with its statement; customers without an email address
        get the statement in their chatter, to be posted."""
        self.ensure_one()
        if not self.mail_template_id:
            raise UserError(self.env._("Choose the email template of the statements."))
        customers = self.partner_ids.commercial_partner_id
        customers.check_access("read")
        engine = self.env["credit.dunning.engine"]
        recipients = engine._email_recipients(customers)
        attachments = self._render(customers)
        emailing = customers.filtered(lambda partner: recipients[partner.id])
        self._queue_emails(emailing, recipients, attachments)
        self._post_statements(customers - emailing, attachments)
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "success", "sticky": False, "next": {"type": "ir.actions.act_window_close"},
            "message": self.env._(
                "%(sent)s statements queued by email, %(posted)s left in the chatter to be posted.",
                sent=len(emailing), posted=len(customers) - len(emailing)),
        }}

    def _render(self, customers):
        """``{partner id: attachments}``: the statements of the period as PDF (and the XLSX of
        a summary statement's detail), on the customers (access checked by ``action_send``)."""
        return self.env["credit.statement.engine"]._statement_attachments(
            customers, self.company_id, self.date_from, self.date_to)

    def _reply_to(self, partners):
        return partners._notify_get_reply_to_batch(
            defaults=dict.fromkeys(partners.ids, self.company_id.email_formatted),
            author_ids=dict.fromkeys(partners.ids, self.company_id.partner_id.id))

    def _queue_emails(self, partners, recipients, attachments):
        """One queued email per customer from the template, in the customer's language."""
        if not partners:
            return
        template = self.mail_template_id.with_company(self.company_id)  # object.env.company
        rendered = template._generate_template(partners.ids, ["subject", "body_html", "email_from"])
        reply_to = self._reply_to(partners)
        # sudo: credit users do not create emails (mail.mail is for administrators); what is
        # created is only the statements they asked for, as the dunning engine does.
        self.env["mail.mail"].sudo().create([{
            "model": "res.partner",
            "res_id": partner.id,
            "record_name": partner.display_name,
            "message_type": "email_outgoing",
            "is_notification": True,
            "auto_delete": False,
            "author_id": self.company_id.partner_id.id,
            "email_from": rendered[partner.id].get("email_from") or self.company_id.email_formatted,
            "reply_to": reply_to[partner.id],
            "subject": rendered[partner.id]["subject"],
            "body_html": rendered[partner.id]["body_html"],
            "body": rendered[partner.id]["body_html"],
            "recipient_ids": [Command.set(recipients[partner.id].ids)],
            "attachment_ids": [Command.set(attachments[partner.id].ids)],
        } for partner in partners])

    def _post_statements(self, partners, attachments):
        if not partners:
            return
        reply_to = self._reply_to(partners)
        author = self.env.user.partner_id
        self.env["mail.message"].sudo().create([{  # sudo: see _queue_emails
            "model": "res.partner",
            "res_id": partner.id,
            "record_name": partner.display_name,
            "message_type": "notification",
            "subtype_id": self.env.ref("mail.mt_note").id,
            "author_id": author.id,
            "email_from": author.email_formatted,
            "reply_to": reply_to[partner.id],
            "body": Markup("<p>%s</p>") % self.env._(
                "Statement of account from %(start)s to %(end)s, to be posted (no email address).",
                start=self.date_from, end=self.date_to),
            "attachment_ids": [Command.set(attachments[partner.id].ids)],
        } for partner in partners])
