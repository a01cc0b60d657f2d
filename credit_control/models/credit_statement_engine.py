from datetime import timedelta

from babel.dates import format_skeleton
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import babel_locale_parse

from ..reports.pdf_batch import render_per_record

REPORT = "credit_control.action_report_credit_statement"
STATEMENTS_PER_CALL = 125  # statements run to several pages: smaller wkhtmltopdf calls (pdf_batch)


class CreditStatementEngine(models.AbstractModel):
    """Statements of account of customers for a period, a handful of queries for any number of
    customers.

    A statement is the customer's receivable account in the company: the opening balance on the
    first day, the documents of the period (invoices, credit notes, payments, other entries) with
    a running balance, the closing balance, the items still open on the last day with their
    aging, and the late-payment interest accrued on the overdue instalments up to the last day
    (not booked, so not in the balance; the interest engine's, ``account_move_interest``). The
    open items and the aging come from the aging report's query (``credit.aging.wizard``), so
    both show the same open amounts on a date. Amounts are in the
    company currency (the receivable account's currency), in which they reconcile.
    """

    _name = "credit.statement.engine"
    _description = "Customer Statement Engine"

    @api.model
    def _default_period(self, date_to=None):
        """The period of a statement asked for without dates: the current month and the two
        before it, up to today."""
        date_to = date_to or fields.Date.context_today(self)
        return date_to.replace(day=1) - relativedelta(months=2), date_to

    @api.model
    def _statements(self, partners, company, date_from, date_to):
        """``{commercial partner id: statement}`` for ``partners`` in ``company``.

        A statement is a dict: ``partner``, ``company``, ``currency``, ``date_from``,
        ``date_to``, ``opening``, ``lines`` (dicts ``move``, ``date``, ``date_due``, ``kind``,
        ``debit``, ``credit``, ``balance``), ``closing``, ``total_debit``, ``total_credit``,
        ``open_items`` (dicts ``move``, ``date_due``, ``days`` overdue, ``residual``), ``aging``
        (``[label, amount]`` per bucket of the aging report), ``aging_total``, ``interest_items``
        (dicts ``move``, ``date_due``, ``days``, ``residual``, ``interest``: see
        :meth:`_late_interest`) and ``interest_total``. Labels are in the language of the
        environment.

        A statement with more detail lines (documents, open items and interest items) than the
        company's *Statement Detail Lines* is a ``summary``: it is printed by month (``months``
        and ``movement``, see :meth:`_months`) and its detail goes in an XLSX
        (``credit.statement.xlsx``). ``months`` is empty for the others.
        """
        commercial = partners.commercial_partner_id
        self.env.flush_all()
        receivable = self.env["credit.exposure.engine"]._receivable_account_condition()
        scope = SQL(
            "%s AND aml.parent_state = 'posted' AND aml.company_id = %s AND p.commercial_partner_id = ANY(%s)",
            receivable, company.id, commercial.ids)
        opening = dict(self.env.execute_query(SQL(
            """
            SELECT p.commercial_partner_id, SUM(aml.balance)
              FROM account_move_line aml JOIN res_partner p ON p.id = aml.partner_id
             WHERE %s AND aml.date < %s
             GROUP BY p.commercial_partner_id
            """, scope, date_from)))
        period = self.env.execute_query(SQL(
            """
            SELECT p.commercial_partner_id, aml.move_id, MIN(aml.date), MAX(aml.date_maturity),
                   SUM(aml.balance)
              FROM account_move_line aml JOIN res_partner p ON p.id = aml.partner_id
             WHERE %s AND aml.date BETWEEN %s AND %s
             GROUP BY p.commercial_partner_id, aml.move_id
             ORDER BY MIN(aml.date), aml.move_id
            """, scope, date_from, date_to))
        # The aging report's own query and buckets (a new record: reports run read-only).
        aging = self.env["credit.aging.wizard"].new({
            "date": date_to, "company_ids": company.ids, "group_by": "customer"})
        open_lines = self.env.execute_query(SQL(
            """
            SELECT partner_id, move_id, days, SUM(residual)
              FROM (%s) open_lines
             WHERE partner_id = ANY(%s)
             GROUP BY partner_id, move_id, days
             ORDER BY days DESC, move_id
            """, aging._open_lines_query(), commercial.ids))
        moves = self.env["account.move"].browse(
            {row[1] for row in period} | {row[1] for row in open_lines})
        moves.fetch(["name", "move_type", "ref", "origin_payment_id", "journal_id"])
        interest = self._late_interest(commercial, company, date_to)
        labels = aging._bucket_labels()
        bounds = aging._boundaries()
        currency = company.currency_id
        statements = {}
        for partner in commercial:
            start = currency.round(opening.get(partner.id) or 0.0)
            statements[partner.id] = {
                "partner": partner, "company": company, "currency": currency,
                "date_from": date_from, "date_to": date_to, "opening": start, "closing": start,
                "lines": [], "total_debit": 0.0, "total_credit": 0.0, "open_items": [],
                "aging": [[label, 0.0] for label in labels], "aging_total": 0.0,
                "interest_items": interest.get(partner.id, []),
                "interest_total": currency.round(sum(item["interest"] for item in interest.get(partner.id, []))),
            }
        for partner_id, move_id, date, date_due, amount in period:
            statement = statements[partner_id]
            amount = currency.round(amount)
            debit, credit = max(amount, 0.0), max(-amount, 0.0)
            statement["closing"] = currency.round(statement["closing"] + amount)
            statement["total_debit"] += debit
            statement["total_credit"] += credit
            move = moves.browse(move_id)
            statement["lines"].append({
                "move": move, "date": date, "date_due": date_due, "kind": self._kind(move),
                "debit": debit, "credit": credit, "balance": statement["closing"]})
        for partner_id, move_id, days, residual in open_lines:
            statement = statements[partner_id]
            residual = currency.round(residual)
            if currency.is_zero(residual):
                continue
            statement["open_items"].append({
                "move": moves.browse(move_id), "date_due": date_to - timedelta(days=days),
                "days": max(days, 0), "residual": residual})
            statement["aging"][self._bucket(days, bounds)][1] += residual
            statement["aging_total"] += residual
        limit = company.credit_statement_detail_lines
        for statement in statements.values():
            detail = len(statement["lines"]) + len(statement["open_items"]) + len(statement["interest_items"])
            statement["summary"] = bool(limit) and detail > limit
            statement["months"], statement["movement"] = self._months(statement) if statement["summary"] else ([], {})
        return statements

    @api.model
    def _statements_by_lang(self, partners, company, date_from, date_to):
        """:meth:`_statements` of ``partners``, each computed in its customer's language (the
        aging labels), one batch per language."""
        statements = {}
        for lang, group in partners.grouped(lambda partner: partner.lang or self.env.lang).items():
            statements.update(self.with_context(lang=lang)._statements(group, company, date_from, date_to))
        return statements

    @api.model
    def _months(self, statement):
        """``(months, movement)``: the period's documents of ``statement`` summed by calendar
        month and kind, every month of the period, as dicts ``month`` (its first day),
        ``label`` (``February 2026`` in the environment's language), ``invoice``, ``refund``,
        ``payment``, ``entry`` (signed: what they add to the balance) and ``balance`` at the
        month's end, running from the opening to the closing balance; ``movement`` is the
        period's sum per kind."""
        currency = statement["currency"]
        locale = babel_locale_parse(self.env.lang or "en_US")
        kinds = ("invoice", "refund", "payment", "entry")
        sums, month = {}, statement["date_from"].replace(day=1)
        while month <= statement["date_to"]:
            sums[month] = dict.fromkeys(kinds, 0.0)
            month += relativedelta(months=1)
        for line in statement["lines"]:
            sums[line["date"].replace(day=1)][line["kind"]] += line["debit"] - line["credit"]
        months, balance = [], statement["opening"]
        for month, amounts in sums.items():
            amounts = {kind: currency.round(amount) for kind, amount in amounts.items()}
            balance = currency.round(balance + sum(amounts.values()))
            months.append({"month": month, "label": format_skeleton("yMMMM", month, locale=locale),
                           **amounts, "balance": balance})
        movement = {kind: currency.round(sum(row[kind] for row in months)) for kind in kinds}
        return months, movement

    @api.model
    def _late_interest(self, partners, company, date_to):
        """``{commercial partner id: [instalment]}``: the late-payment interest accrued until
        ``date_to`` (excluded, as the days overdue are counted) and not yet invoiced, on the
        instalments of the customers' invoices due before it, by the interest engine
        (``account.move._credit_late_interest_items``). An instalment is a dict ``move``,
        ``date_due``, ``days`` overdue on ``date_to``, ``residual`` (open on ``date_to``: 0 for an
        instalment paid late) and ``interest``, in the company currency at the invoice's own rate
        (its receivable balance over its amount, as the statement's other amounts); instalments
        whose interest rounds to nothing are left out. A few queries for all the customers."""
        moves = self.env["account.move"].search([
            ("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("company_id", "=", company.id),
            ("commercial_partner_id", "in", partners.ids), ("date", "<=", date_to),
            ("line_ids", "any", [("display_type", "=", "payment_term"), ("date_maturity", "<", date_to)])])
        currency = company.currency_id
        result = {}
        for item in moves._credit_late_interest_items(date_to, uninvoiced=True):
            rate = item["balance"] / item["amount_currency"]
            interest = currency.round(item["interest"] * rate)
            if currency.is_zero(interest):
                continue
            move = moves.browse(item["move_id"])
            result.setdefault(move.commercial_partner_id.id, []).append({
                "move": move, "date_due": item["date_maturity"], "days": (date_to - item["date_maturity"]).days,
                "residual": currency.round(item["residual_currency"] * rate), "interest": interest})
        return result

    def _report_data(self, company, date_from, date_to):
        """The statement report's ``data`` for a period (JSON-able, as the web client sends it)."""
        return {"company_id": company.id, "date_from": fields.Date.to_string(date_from),
                "date_to": fields.Date.to_string(date_to)}

    @api.model
    def _statement_attachments(self, customers, company, date_from, date_to):
        """``{partner id: attachments}``: the statements of the commercial partners
        ``customers`` as attachments on them: the PDF, a few hundred per wkhtmltopdf call
        (``reports/pdf_batch.py``), and for a summary statement the XLSX of its detail. The
        figures are computed once for both. Used by the statement wizard and by dunning levels
        that attach the statement to their email."""
        statements = self._statements_by_lang(customers, company, date_from, date_to)
        contents, report_format = render_per_record(self.env, REPORT, customers, data={
            **self._report_data(company, date_from, date_to), "statements": statements},
            per_call=STATEMENTS_PER_CALL)
        # Named in the customer's language, as the statement is.
        titles = {lang: self.with_context(lang=lang).env._("Statement") for lang in set(customers.mapped("lang"))}
        values = [{
            "name": f"{titles[partner.lang]} - {partner.name} - {date_to}.{report_format}",
            "raw": contents[partner.id],
            "mimetype": "application/pdf" if report_format == "pdf" else "text/html",
        } for partner in customers]
        summaries = customers.filtered(lambda partner: statements[partner.commercial_partner_id.id]["summary"])
        xlsx = self.env["credit.statement.xlsx"]
        values += [xlsx.with_context(lang=partner.lang)._attachment_values(statements[partner.commercial_partner_id.id])
                   for partner in summaries]
        # sudo: credit users read the customers (the callers check it) but do not write them
        # (the attachment's document); what is created is only the statements asked for.
        attachments = self.env["ir.attachment"].sudo().create([
            {**vals, "res_model": "res.partner", "res_id": partner.id}
            for vals, partner in zip(values, customers + summaries, strict=True)])
        result = dict(zip(customers.ids, attachments, strict=False))
        for partner, detail in zip(summaries, attachments[len(customers):], strict=True):
            result[partner.id] |= detail
        return result

    @api.model
    def _bucket(self, days, bounds):
        """Index of the aging bucket of ``days`` overdue (0: not yet due)."""
        if days <= 0:
            return 0
        return next((index for index, bound in enumerate(bounds, 1) if days <= bound), len(bounds) + 1)

    @api.model
    def _kind(self, move):
        """What a document is on a statement: ``invoice``, ``refund``, ``payment`` or ``entry``
        (the template words it in the reader's language)."""
        if move.move_type in ("out_invoice", "out_receipt"):
            return "invoice"
        if move.move_type == "out_refund":
            return "refund"
        if move.origin_payment_id or move.journal_id.type in ("bank", "cash"):
            return "payment"
        return "entry"
