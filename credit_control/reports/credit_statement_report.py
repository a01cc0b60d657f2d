from odoo import api, fields, models


class ReportCreditStatement(models.AbstractModel):
    """Values of the statement of account PDF: one statement per customer, each computed in
    its customer's language (aging labels) by the statement engine, a few queries in all.

    ``data`` may give ``date_from``, ``date_to`` and ``company_id``; without them the statement
    covers the engine's default period in the current company. A server-side caller that has
    computed the statements already (``credit.statement.engine._statement_attachments``) gives
    them as ``statements`` (never taken from a client's data).
    """

    _name = "report.credit_control.report_credit_statement"
    _description = "Statement of Account Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        partners = self.env["res.partner"].browse(docids)
        company = self.env["res.company"].browse(data.get("company_id")) if data.get("company_id") \
            else self.env.company
        statements = data.get("statements")  # computed by the caller (engine, attachments)
        # Only the server can hand statements (they hold records); a client's data (JSON, from
        # the report route) cannot, so a forged figure is never printed: computed here instead.
        if not (isinstance(statements, dict) and all(
                isinstance(statement, dict) and isinstance(statement.get("partner"), models.BaseModel)
                for statement in statements.values())):
            engine = self.env["credit.statement.engine"]
            date_from, date_to = engine._default_period(fields.Date.to_date(data.get("date_to")))
            date_from = fields.Date.to_date(data.get("date_from")) or date_from
            statements = engine._statements_by_lang(partners, company, date_from, date_to)
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": partners,
            "statements": statements,
        }
