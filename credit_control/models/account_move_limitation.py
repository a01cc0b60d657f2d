from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from .credit_value_bounds import shift_date


class AccountMove(models.Model):
    """When an open customer invoice's claim expires: its due date plus the limitation period
    of the customer's country (``credit.limitation.period``), else of the company. A daily job
    alerts the credit managers some days before."""

    _inherit = "account.move"

    credit_limitation_date = fields.Date(
        string="Claim Expires", compute="_compute_credit_limitation_date", search="_search_credit_limitation_date",
        help="The claim of this open invoice is time-barred from this day (statute of limitations): "
        "its due date plus the limitation period of the customer's country, else of the company.")
    credit_limitation_alert_date = fields.Date(
        string="Limitation Alert", readonly=True, copy=False,
        help="When the credit managers were alerted that the claim expires.")

    @api.model
    def _credit_limitation_years(self, companies):
        """``{company id: (default years, {country id: years})}``."""
        periods = self.env["credit.limitation.period"].sudo().search([("company_id", "in", companies.ids)])
        return {company.id: (company.credit_limitation_years,
                             {p.country_id.id: p.years for p in periods if p.company_id == company})
                for company in companies}

    @api.depends("invoice_date_due", "commercial_partner_id.country_id", "company_id.credit_limitation_years",
                 "state", "move_type")
    def _compute_credit_limitation_date(self):
        years = self._credit_limitation_years(self.company_id)
        for move in self:
            default, countries = years.get(move.company_id.id, (0, {}))
            period = countries.get(move.commercial_partner_id.country_id.id, default)
            open_invoice = move.move_type == "out_invoice" and move.state == "posted" and move.invoice_date_due
            move.credit_limitation_date = (
                shift_date(move.invoice_date_due, months=12 * period) if open_invoice and period else False)

    def _search_credit_limitation_date(self, operator, value):
        """Invoices whose claim expires ``operator`` ``value``: their due date compared with
        ``value`` less the period, per company and per country with its own period."""
        if operator not in ("<", "<=", ">", ">=") or not value:
            return NotImplemented
        value = fields.Date.to_date(value)
        # pylint: disable-next=no-search-all  # every company: a handful of rows
        companies = self.env["res.company"].sudo().search([])
        branches = []
        for company_id, (default, countries) in self._credit_limitation_years(companies).items():
            base = Domain([("company_id", "=", company_id), ("move_type", "=", "out_invoice"),
                           ("state", "=", "posted")])
            for country_id, years in countries.items():
                branches.append(base & Domain([
                    ("commercial_partner_id.country_id", "=", country_id),
                    ("invoice_date_due", operator, shift_date(value, months=-12 * years))]))
            if default:
                branches.append(base & Domain([
                    ("commercial_partner_id.country_id", "not in", list(countries)),
                    ("invoice_date_due", operator, shift_date(value, months=-12 * default))]))
        return Domain.OR(branches) if branches else Domain.FALSE

    @api.model
    def _cron_limitation_alerts(self):
        """Daily job: the limitation alerts of every company (:meth:`_credit_limitation_alerts`),
        committed company by company."""
        today = fields.Date.context_today(self)
        # pylint: disable-next=no-search-all  # every company: a handful of rows
        for company in self.env["res.company"].search([]):
            moves = self._credit_limitation_alerts(company, today)
            self.env["ir.cron"]._commit_progress(len(moves))

    @api.model
    def _credit_limitation_alerts(self, company, today):
        """An activity for each credit manager on the open invoices of ``company`` whose claim
        expires within the company's alert days, once per invoice; returns those invoices. One
        search, the activities created together and the invoices marked in one statement,
        however many they are."""
        if not company.credit_limitation_years and not self.env["credit.limitation.period"].search_count(
                [("company_id", "=", company.id)], limit=1):
            return self.browse()
        moves = self.sudo().search([
            ("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
            ("amount_residual", ">", 0), ("credit_limitation_alert_date", "=", False),
            ("credit_limitation_date", "<=", shift_date(today, days=company.credit_limitation_alert_days))])
        managers = company._credit_managers()
        todo = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id("account.move")
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create([{
            "res_model_id": model_id, "res_id": move.id, "activity_type_id": todo.id, "user_id": manager.id,
            "date_deadline": move.credit_limitation_date,
            "summary": self.env._("Claim of %(invoice)s expires on %(date)s: interrupt the limitation period",
                                  invoice=move.name, date=fields.Date.to_string(move.credit_limitation_date)),
        } for move in moves for manager in managers])
        # One UPDATE, not moves.write(): account.move.write runs its accounting checks invoice by
        # invoice (one query each: 2,857 queries for 2,635 invoices in the S bench); the alert
        # date is a plain stored field that no computation depends on, set by this job only.
        if moves:
            self.env.execute_query(SQL(
                "UPDATE account_move SET credit_limitation_alert_date = %s, write_date = now() WHERE id = ANY(%s)",
                today, moves.ids))
            moves.invalidate_recordset(["credit_limitation_alert_date", "write_date"])
        return moves
