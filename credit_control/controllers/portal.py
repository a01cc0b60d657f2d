from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class CreditStatementPortal(CustomerPortal):
    """The customer's own statement of account in the portal (``/my``), next to Odoo's
    invoices. It always covers the logged-in user's own commercial partner: no customer id is
    taken from the request, so no one reaches another customer's account."""

    @http.route("/my/credit_statement", type="http", auth="user", website=True, readonly=True)
    def portal_my_credit_statement(self, **kwargs):
        partner = request.env.user.partner_id.commercial_partner_id
        company = request.env.company
        # sudo: a portal user has no right on the accounting lines behind the figures; the
        # report covers only this user's own commercial partner, read in the user's company.
        report = request.env["ir.actions.report"].sudo().with_context(lang=partner.lang or request.env.lang)
        content, report_format = report._render_qweb_pdf(
            "credit_control.action_report_credit_statement", partner.ids, data={"company_id": company.id})
        mimetype = "application/pdf" if report_format == "pdf" else "text/html; charset=utf-8"
        filename = request.env._("Statement") + f" - {partner.name}.{report_format}"
        return request.make_response(content, headers=[
            ("Content-Type", mimetype), ("Content-Length", len(content)),
            ("Content-Disposition", http.content_disposition(filename, disposition_type="inline")),
        ])
