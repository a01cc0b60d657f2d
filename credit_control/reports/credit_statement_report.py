from collections import defaultdict

from odoo import api, fields, models


class ReportCreditStatement(models.AbstractModel):
    """Values of the statement of account PDF: one statement per customer, each computed in
    its customer's language (aging labels) by the statement engine, a few queries in all.

    ``data`` may give ``date_from``, ``date_to`` and ``company_id``; without them the statement
    covers the engine's default period in the current company.
    """

    _name = "report.credit_control.report_credit_statement"
    _description = "Statement of Account Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        partners = self.env["res.partner"].browse(docids)
        company = self.env["res.company"].browse(data.get("company_id")) if data.get("company_id") \
            else self.env.company
        engine = self.env["credit.statement.engine"]
        date_from, date_to = engine._default_period(fields.Date.to_date(data.get("date_to")))
        date_from = fields.Date.to_date(data.get("date_from")) or date_from
        by_lang = defaultdict(lambda: self.env["res.partner"])
        for partner in partners:
            by_lang[partner.lang or self.env.lang] |= partner
        statements = {}
        for lang, group in by_lang.items():
            statements.update(engine.with_context(lang=lang)._statements(group, company, date_from, date_to))
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": partners,
            "statements": statements,
        }
