from odoo import api, models
from odoo.tools import format_date, formatLang

from .xlsx_writer import XLSX_MIMETYPE, Sheet


class CreditStatementXlsx(models.AbstractModel):
    """The full detail of a summary statement of account as an XLSX workbook: every document
    of the period with its running balance, every open item, every interest item and the
    months of the PDF, in the environment's language (the customer's).

    Formatting only: the rows are the statement engine's (``credit.statement.engine``), the
    workbook is written by ``reports/xlsx_writer.py`` (``credit.report.export``).
    """

    _name = "credit.statement.xlsx"
    _description = "Statement of Account Detail (XLSX)"

    @api.model
    def _attachment_values(self, statement):
        """``ir.attachment`` values (name, content, type) of the workbook of ``statement``."""
        name = self.env._("Statement detail")
        return {
            "name": f"{name} - {statement['partner'].name} - {statement['date_to']}.xlsx",
            "raw": self._workbook(statement),
            "mimetype": XLSX_MIMETYPE,
        }

    @api.model
    def _workbook(self, statement):
        """The XLSX content of ``statement`` (a dict of ``credit.statement.engine._statements``)."""
        sheets = [self._documents_sheet(statement), self._open_items_sheet(statement)]
        if statement["interest_items"]:
            sheets.append(self._interest_sheet(statement))
        if statement["months"]:
            sheets.append(self._months_sheet(statement))
        return self.env["credit.report.export"]._xlsx_content(
            sheets, self._parameters(statement), statement["currency"])

    @api.model
    def _kind_labels(self):
        return {"invoice": self.env._("Invoice"), "refund": self.env._("Credit note"),
                "payment": self.env._("Payment"), "entry": self.env._("Entry")}

    def _money(self, key, label, total=False):
        return {"key": key, "label": label, "type": "money", "width": 16, "total": total}

    def _currency_column(self):
        return {"key": "currency", "label": self.env._("Currency"), "type": "currency", "width": 9}

    @api.model
    def _documents_sheet(self, statement):
        code = statement["currency"].name
        kinds = self._kind_labels()
        columns = [
            {"key": "date", "label": self.env._("Date"), "type": "date", "width": 12},
            {"key": "document", "label": self.env._("Document"), "type": "text", "width": 24},
            {"key": "kind", "label": self.env._("Type"), "type": "text", "width": 14},
            {"key": "ref", "label": self.env._("Reference"), "type": "text", "width": 20},
            {"key": "date_due", "label": self.env._("Due date"), "type": "date", "width": 12},
            self._money("debit", self.env._("Charges"), total=True),
            self._money("credit", self.env._("Credits"), total=True),
            self._money("balance", self.env._("Balance")),
            self._currency_column(),
        ]
        rows = [{"date": statement["date_from"], "document": self.env._("Opening balance"),
                 "balance": statement["opening"], "currency": code}]
        rows += [{
            "date": line["date"], "document": line["move"].name, "kind": kinds[line["kind"]],
            "ref": line["move"].ref, "date_due": line["date_due"] if line["kind"] == "invoice" else None,
            "debit": line["debit"] or None, "credit": line["credit"] or None, "balance": line["balance"],
            "currency": code,
        } for line in statement["lines"]]
        rows.append({"date": statement["date_to"], "document": self.env._("Closing balance"),
                     "balance": statement["closing"], "currency": code})
        return Sheet(self.env._("Documents"), columns, rows)

    @api.model
    def _item_columns(self):
        """The columns an open item and an interest item share."""
        return [
            {"key": "document", "label": self.env._("Document"), "type": "text", "width": 24},
            {"key": "date_due", "label": self.env._("Due date"), "type": "date", "width": 12},
            {"key": "days", "label": self.env._("Days overdue"), "type": "int", "width": 12},
        ]

    @api.model
    def _item_rows(self, items, code, keys):
        return [{"document": item["move"].name, "date_due": item["date_due"], "days": item["days"],
                 **{key: item[key] for key in keys}, "currency": code} for item in items]

    @api.model
    def _open_items_sheet(self, statement):
        columns = [*self._item_columns(), self._money("residual", self.env._("Open amount"), total=True),
                   self._currency_column()]
        rows = self._item_rows(statement["open_items"], statement["currency"].name, ("residual",))
        return Sheet(self.env._("Open items"), columns, rows)

    @api.model
    def _interest_sheet(self, statement):
        columns = [*self._item_columns(), self._money("residual", self.env._("Open amount")),
                   self._money("interest", self.env._("Interest"), total=True), self._currency_column()]
        rows = self._item_rows(statement["interest_items"], statement["currency"].name, ("residual", "interest"))
        return Sheet(self.env._("Late-payment interest"), columns, rows)

    @api.model
    def _months_sheet(self, statement):
        code = statement["currency"].name
        columns = [
            {"key": "label", "label": self.env._("Month"), "type": "text", "width": 18},
            self._money("invoice", self.env._("Invoiced"), total=True),
            self._money("refund", self.env._("Credit notes"), total=True),
            self._money("payment", self.env._("Payments"), total=True),
            self._money("entry", self.env._("Other"), total=True),
            self._money("balance", self.env._("Balance at month end")),
            self._currency_column(),
        ]
        rows = [{"label": self.env._("Opening balance"), "balance": statement["opening"], "currency": code}]
        rows += [{**month, "currency": code} for month in statement["months"]]
        return Sheet(self.env._("By month"), columns, rows)

    @api.model
    def _parameters(self, statement):
        currency = statement["currency"]

        def money(amount):
            return formatLang(self.env, amount, currency_obj=currency)

        period = f"{format_date(self.env, statement['date_from'])} – {format_date(self.env, statement['date_to'])}"
        return [
            (self.env._("Statement of account"), statement["partner"].name),
            (self.env._("Company"), statement["company"].name),
            (self.env._("Period"), period),
            (self.env._("Currency"), currency.name),
            (self.env._("Opening balance"), money(statement["opening"])),
            (self.env._("Closing balance"), money(statement["closing"])),
            (self.env._("Open items"), money(statement["aging_total"])),
            (self.env._("Total interest accrued"), money(statement["interest_total"])),
        ]
